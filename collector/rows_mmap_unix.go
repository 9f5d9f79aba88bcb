//go:build linux || darwin

package collector

import (
	"os"
	"syscall"
)

// mappedFile is a file mapped read-only into memory.
type mappedFile struct {
	data []byte
}

// mapFile maps the first size bytes of f.
func mapFile(f *os.File, size int64) (*mappedFile, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, errNoMap
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &mappedFile{data: data}, nil
}

// drop takes the pages of data[lo:hi] out of the process's memory (they
// stay in the page cache and fault back in if read again), so the resident
// size of a file read front to back stays flat. lo and hi are page-aligned.
func (m *mappedFile) drop(lo, hi int) {
	if hi > lo {
		_ = syscall.Madvise(m.data[lo:hi], syscall.MADV_DONTNEED)
	}
}

func (m *mappedFile) close() error {
	if m.data == nil {
		return nil
	}
	err := syscall.Munmap(m.data)
	m.data = nil
	return err
}
