//go:build !unix

package storage

import "io/fs"

// lockDir is a no-op where flock is not available; the rename stays atomic.
func lockDir(dir string) (func(), error) { return func() {}, nil }

func syncDir(dir string) {}

func fileID(fs.FileInfo) uint64 { return 0 }
