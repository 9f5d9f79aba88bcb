package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotExist is returned (wrapped) when an object does not exist.
var ErrNotExist = errors.New("object does not exist")

// ErrPrecondition is returned (wrapped) when a conditional Put finds the
// object changed since it was read (or created when it should be new).
var ErrPrecondition = errors.New("object changed concurrently")

// Object is an open stored object: random access for Parquet footers.
type Object interface {
	io.ReaderAt
	Size() int64
	// Version identifies this content (an S3 ETag, a local size+mtime).
	Version() string
	Close() error
}

// ObjectInfo describes a listed object.
type ObjectInfo struct {
	Name    string // relative to the lake root, forward slashes
	Size    int64
	ModTime time.Time
}

// Precondition makes a Put conditional: IfNoneMatch requires that the object
// does not exist; IfMatch requires that its current Version equals the value.
type Precondition struct {
	IfNoneMatch bool
	IfMatch     string
}

// Backend stores whole objects by name. A Put is atomic: readers see the
// old object or the new one, never a part.
type Backend interface {
	Open(ctx context.Context, name string) (Object, error)
	// Put stores what write produces under name. If write fails or ctx is
	// cancelled nothing is stored.
	Put(ctx context.Context, name string, write func(io.Writer) error, cond Precondition) (ObjectInfo, error)
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Location is a human-readable root, with no secrets in it.
	Location() string
	// Kind is a short backend name for logs and metrics: "file", "s3".
	Kind() string
	Close() error
}
