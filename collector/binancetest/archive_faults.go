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

// archiveState is the fake archive's mutable state.
type archiveState struct {
	mu     sync.Mutex
	faults []archiveInjected
}

type archiveInjected struct {
	zipPath string
	left    int // < 0: forever
	f       ArchiveFault
}

// InjectArchive damages the archive file whose zip has URL path zipPath
// (see ArchivePath) for its next n downloads (n < 0: for good). A download
// is a GET of the zip; its CHECKSUM shows the same damage without using
// it up, except for ArchiveMissing, where either request uses one, since a
// client that finds no CHECKSUM goes no further.
func (s *Server) InjectArchive(zipPath string, n int, f ArchiveFault) {
	if n == 0 {
		return
	}
	s.archive.mu.Lock()
	s.archive.faults = append(s.archive.faults, archiveInjected{zipPath: zipPath, left: n, f: f})
	s.archive.mu.Unlock()
}

// takeArchiveFault returns the fault pending for f's zip, using it up
// when the request is a download (see InjectArchive).
func (s *Server) takeArchiveFault(f archiveFile) (ArchiveFault, bool) {
	s.archive.mu.Lock()
	defer s.archive.mu.Unlock()
	for i := range s.archive.faults {
		e := &s.archive.faults[i]
		if e.zipPath != f.zipPath {
			continue
		}
		fault := e.f
		if !f.checksum || fault == ArchiveMissing {
			if e.left--; e.left == 0 {
				s.archive.faults = slices.Delete(s.archive.faults, i, i+1)
			}
		}
		return fault, true
	}
	return 0, false
}
