//go:build unix

package storage

import (
	"io/fs"
	"os"
	"syscall"
)

// syncDir makes a rename durable.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// fileID is the inode number of a file.
func fileID(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
