package storage

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gofrs/flock"
)

// lockFileName is the hidden file in every folder the local backend writes
// to, locked around the precondition check and the rename. A folder itself
// cannot be locked on Windows, a file can on every OS. It does not end in
// ".parquet" and starts with a dot, so listings, DuckDB and Spark skip it;
// it is never removed (removing a lock file races with its next locker).
const lockFileName = ".lakehouse.lock"

// lockDir takes an exclusive lock on dir's lock file so that the
// precondition check and the rename of two processes writing the same file
// do not interleave. It blocks until the lock is free.
func lockDir(dir string) (func(), error) {
	l := flock.New(filepath.Join(dir, lockFileName), flock.SetPermissions(0o644))
	if err := l.Lock(); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			// No file locks on this OS (plan9, wasm): one writer per
			// lake there; the rename alone stays atomic.
			return func() {}, nil
		}
		return nil, fmt.Errorf("lock %s: %w", l.Path(), err)
	}
	return func() { l.Unlock() }, nil
}
