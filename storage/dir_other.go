//go:build !unix

package storage

import "io/fs"

// syncDir is a no-op where a folder cannot be opened for fsync (Windows);
// the rename itself is still atomic.
func syncDir(dir string) {}

// fileID is 0 where there is no inode: versions then rest on size and mtime.
func fileID(fs.FileInfo) uint64 { return 0 }
