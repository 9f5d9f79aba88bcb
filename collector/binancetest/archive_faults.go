package binancetest

import (
	"slices"
	"sync"
	"time"
)

// ArchiveFault damages an archive file the way data.binance.vision files
// have been damaged (or lost) in the wild.
type ArchiveFault int

const (
	// ArchiveMissing answers 404 for the zip and its CHECKSUM: a month or
	// day Binance never published.
	ArchiveMissing ArchiveFault = iota + 1
	// ArchiveCorruptZip serves a zip with flipped bytes in its compressed
	// data and a CHECKSUM that matches those damaged bytes.
	ArchiveCorruptZip
	// ArchiveTruncatedZip serves the first half of the zip (as a complete
	// HTTP response) beside the CHECKSUM of the whole one.
	ArchiveTruncatedZip
	// ArchiveBadChecksum serves a good zip beside a CHECKSUM of other bytes.
	ArchiveBadChecksum
	// ArchiveCorruptRow serves a valid zip (and matching CHECKSUM) whose CSV
	// has one unparsable row in the middle.
	ArchiveCorruptRow
)

// archiveConfig holds the archive options.
type archiveConfig struct {
	dailyDelay, monthlyDelay time.Duration
	headerFrom               time.Time // futures CSVs from this date on start with a header
}

// defaultHeaderFrom: older futures CSVs have no header row, newer ones do.
var defaultHeaderFrom = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)

// WithArchivePublishDelay makes daily files appear daily after their day
// ends and monthly files monthly after their month ends (data clock);
// Binance publishes daily files around 08:30 UTC the next day and monthly
// ones in the first half of the next month. Default: at once.
func WithArchivePublishDelay(daily, monthly time.Duration) Option {
	return func(c *config) { c.archive.dailyDelay, c.archive.monthlyDelay = daily, monthly }
}

// WithArchiveHeaderFrom sets the first file date whose futures CSV starts
// with a header row (default 2022-01-01). Spot CSVs never have one.
func WithArchiveHeaderFrom(t time.Time) Option {
	return func(c *config) { c.archive.headerFrom = t }
}

// zipScript is what is scripted for archive zips (faults, cuts): values
// by zip path, each for a number of uses (< 0: for good); the first one
// injected for a path applies.
type zipScript[T any] struct {
	mu   sync.Mutex
	list []scriptedZip[T]
}

type scriptedZip[T any] struct {
	zipPath string
	left    int // < 0: forever
	v       T
}

func (z *zipScript[T]) add(zipPath string, n int, v T) {
	if n == 0 {
		return
	}
	z.mu.Lock()
	z.list = append(z.list, scriptedZip[T]{zipPath: zipPath, left: n, v: v})
	z.mu.Unlock()
}

// take returns the value pending for zipPath, using one use of it up when
// useUp says this request does.
func (z *zipScript[T]) take(zipPath string, useUp func(T) bool) (T, bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	for i := range z.list {
		e := &z.list[i]
		if e.zipPath != zipPath {
			continue
		}
		v := e.v
		if useUp(v) {
			if e.left--; e.left == 0 {
				z.list = slices.Delete(z.list, i, i+1)
			}
		}
		return v, true
	}
	var none T
	return none, false
}

// InjectArchive damages the archive file whose zip has URL path zipPath
// (see ArchivePath) for its next n downloads (n < 0: for good). A download
// is a GET of the zip; its CHECKSUM shows the same damage without using
// it up, except for ArchiveMissing, where either request uses one, since a
// client that finds no CHECKSUM goes no further.
func (s *Server) InjectArchive(zipPath string, n int, f ArchiveFault) {
	s.archive.add(zipPath, n, f)
}

// takeArchiveFault returns the fault pending for f's zip, using it up
// when the request is a download (see InjectArchive).
func (s *Server) takeArchiveFault(f archivePeriod) (ArchiveFault, bool) {
	return s.archive.take(f.zipPath, func(fault ArchiveFault) bool { return !f.checksum || fault == ArchiveMissing })
}
