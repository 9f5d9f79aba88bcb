package storage

import (
	"context"
	"io"
)

// RawStore keeps raw source objects (the archive zips of --keep-raw) beside
// the Parquet files, under bronze/, so silver can be rebuilt without Binance.
type RawStore interface {
	// PutRaw stores r's bytes under name (relative to the lake root),
	// atomically, replacing any older object.
	PutRaw(ctx context.Context, name string, r io.Reader) (ObjectInfo, error)
}

var _ RawStore = (*Store)(nil)

// PutRaw stores raw bytes through the Store's backend.
func (s *Store) PutRaw(ctx context.Context, name string, r io.Reader) (ObjectInfo, error) {
	return s.backend.Put(ctx, name, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	}, Precondition{})
}
