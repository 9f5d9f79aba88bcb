//go:build !(linux || darwin)

package collector

import "os"

// mappedFile: no memory mapping here; zips on disk are streamed through
// klauspost/compress instead (see openRowsCSV).
type mappedFile struct {
	data []byte
}

func mapFile(*os.File, int64) (*mappedFile, error) { return nil, errNoMap }
func (m *mappedFile) drop(lo, hi int)              {}
func (m *mappedFile) close() error                 { return nil }
