package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// Lakes written before the monthly interval moved to interval=1mo keep its
// files under interval=1M. Those files are never read as the 1M series
// (on a case-insensitive file system that folder is the 1m one), and
// nothing is written to a monthly series while some of its files are still
// there: new files in interval=1mo would make the move overwrite them, and
// resuming from the newest of them would skip the months in between. The
// series fails with the exact command that moves the files; other series
// run. verify reports such folders, inventory warns about them.

// ErrLegacyLayout is wrapped by the errors of a monthly series whose files
// are still in the legacy interval=1M folder.
var ErrLegacyLayout = errors.New("monthly candles in the interval=1M folder of an older lakehouse")

// LegacyFolder is a folder holding monthly files in the legacy layout.
type LegacyFolder struct {
	Series Series // the monthly series the files belong to (Interval "1M")
	Dir    string // relative to the lake root, as found
	Files  int
	Move   string // a shell command that moves the files to Series.Dir()
}

func (l LegacyFolder) err() error {
	return fmt.Errorf("%w: %s holds %d file(s) of %s %s %s, which this version keeps in %s "+
		"(interval=1M and interval=1m are one folder on case-insensitive file systems); "+
		"nothing is written to the series until they are moved: %s",
		ErrLegacyLayout, l.Dir, l.Files, l.Series.Market, l.Series.Interval, l.Series.Symbol, l.Series.Dir(), l.Move)
}

// legacyMonthly reports whether name is a monthly file in a legacy folder
// and returns that folder. Older versions wrote 1M files under interval=1M,
// on a case-insensitive file system possibly into an existing interval=1m
// folder; either way only they have a YYYY period (1m files are YYYY-MM).
func legacyMonthly(name string) (Series, string, bool) {
	k, ok := parseSilverName(name)
	if !ok || k.Dataset != transform.Klines.Name || !strings.EqualFold(k.Interval, monthlyInterval) || !isYear(k.Period) {
		return Series{}, "", false
	}
	return Series{Dataset: k.Dataset, Market: k.Market, Interval: monthlyInterval, Symbol: k.Symbol}, seriesDir(k.Dataset, k.Market, k.Interval, k.Symbol), true
}

func isYear(s string) bool {
	return len(s) == 4 && strings.Trim(s, "0123456789") == ""
}

// legacyFolders groups the legacy monthly files among names by folder.
func (s *Store) legacyFolders(names []string) []LegacyFolder {
	byDir := map[string]*LegacyFolder{}
	for _, n := range names {
		series, dir, ok := legacyMonthly(n)
		if !ok {
			continue
		}
		if byDir[dir] == nil {
			byDir[dir] = &LegacyFolder{Series: series, Dir: dir, Move: s.moveCommand(dir, series.Dir())}
		}
		byDir[dir].Files++
	}
	out := make([]LegacyFolder, 0, len(byDir))
	for _, l := range byDir {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b LegacyFolder) int { return strings.Compare(a.Dir, b.Dir) })
	return out
}

// checkLegacy fails a monthly series whose files are still in a legacy
// folder. The answer is kept for the life of the Store: one listing per
// monthly series and run.
func (s *Store) checkLegacy(ctx context.Context, series Series) error {
	if series.Dataset != transform.Klines.Name || series.Interval != monthlyInterval {
		return nil
	}
	s.legacyMu.Lock()
	defer s.legacyMu.Unlock()
	if err, ok := s.legacyChecked[series]; ok {
		return err
	}
	// interval=1m too: a lake written on a case-insensitive file system and
	// copied to S3 or Linux may have its monthly files in the minute folder.
	for _, folder := range []string{monthlyInterval, strings.ToLower(monthlyInterval)} {
		infos, err := s.backend.List(ctx, seriesDir(series.Dataset, series.Market, folder, series.Symbol)+"/")
		if err != nil {
			return err
		}
		names := make([]string, len(infos))
		for i, in := range infos {
			names[i] = in.Name
		}
		// On a case-insensitive file system both listings are one folder;
		// the first is enough to report.
		if found := s.legacyFolders(names); len(found) > 0 {
			s.legacyChecked[series] = found[0].err()
			return s.legacyChecked[series]
		}
	}
	s.legacyChecked[series] = nil
	return nil
}

// mover is a backend that can say how to move a folder's files by hand.
type mover interface {
	moveCommand(fromDir, toDir string) string
}

func (s *Store) moveCommand(fromDir, toDir string) string {
	if m, ok := s.backend.(mover); ok {
		return m.moveCommand(fromDir, toDir)
	}
	return fmt.Sprintf("move %s/????.parquet into %s/ under %s", fromDir, toDir, s.backend.Location())
}

// yearFiles matches the file names of the monthly series (one per year).
const yearFiles = "[0-9][0-9][0-9][0-9].parquet"

// moveCommand moves with mv -n, which never replaces a file: one left
// behind keeps the series failing rather than losing either copy.
func (b *LocalBackend) moveCommand(fromDir, toDir string) string {
	from, to := b.path(fromDir), b.path(toDir)
	return fmt.Sprintf("mkdir -p %s && mv -n %s%c%s %s%c", shellQuote(to), shellQuote(from), filepath.Separator, yearFiles, shellQuote(to), filepath.Separator)
}

func (b *S3Backend) moveCommand(fromDir, toDir string) string {
	cmd := fmt.Sprintf("aws s3 mv --recursive --exclude '*' --include '%s' %s %s", yearFiles,
		shellQuote(b.where(fromDir)+"/"), shellQuote(b.where(toDir)+"/"))
	if b.endpoint != "" {
		cmd += " --endpoint-url " + shellQuote(b.endpoint)
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
