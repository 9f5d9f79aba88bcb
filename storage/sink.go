package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Sink reads and writes record batches of any dataset by key. It knows nothing of
// how batches are merged; that is transform's job.
type Sink interface {
	// Read returns the stored batch, its version and key-value metadata;
	// errors wrap ErrNotExist when there is no file.
	Read(ctx context.Context, key Key) (arrow.RecordBatch, Stored, error)
	// Write stores rec under key with meta added to the file's key-value
	// metadata, atomically, if cond holds (ErrPrecondition otherwise).
	Write(ctx context.Context, key Key, rec arrow.RecordBatch, meta map[string]string, cond Precondition) (ObjectInfo, error)
	// Meta reads only the footer of a stored file.
	Meta(ctx context.Context, key Key) (FileMeta, error)
	// WriteStream writes one file from batches handed over one by one, for
	// files too big to hold as one batch (stream.go); ReadStream reads a
	// file batch by batch.
	WriteStream(ctx context.Context, key Key, schema *arrow.Schema, meta map[string]string, fill func(w BatchWriter) error, cond Precondition) (ObjectInfo, error)
	ReadStream(ctx context.Context, key Key, schema *arrow.Schema, batchRows int) (array.RecordReader, string, error)
	// List returns the stored keys of a series, oldest period first.
	List(ctx context.Context, s Series) ([]Key, error)
	// Backend names where the data lives ("file", "s3").
	Backend() string
	Close() error
}

// Stored is what Read says of a file beside its rows.
type Stored struct {
	Version string            // for Precondition.IfMatch
	Meta    map[string]string // the file's key-value metadata
}

// Store is the Sink over any Backend.
type Store struct {
	backend Backend
	mem     memory.Allocator
	opts    WriteOptions

	legacyMu      sync.Mutex
	legacyChecked map[Series]error // checkLegacy's answer per monthly series
}

var _ Sink = (*Store)(nil)

// NewStore returns a Sink writing Parquet with opts to b.
func NewStore(b Backend, mem memory.Allocator, opts WriteOptions) *Store {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &Store{backend: b, mem: mem, opts: opts, legacyChecked: map[Series]error{}}
}

func (s *Store) Backend() string { return s.backend.Kind() }

// Location is where the lake lives, for messages.
func (s *Store) Location() string { return s.backend.Location() }

func (s *Store) Close() error { return s.backend.Close() }

func (s *Store) Read(ctx context.Context, key Key) (arrow.RecordBatch, Stored, error) {
	if err := s.checkLegacy(ctx, key.Series()); err != nil {
		return nil, Stored{}, err
	}
	d, err := key.dataset()
	if err != nil {
		return nil, Stored{}, err
	}
	obj, err := s.backend.Open(ctx, key.Path())
	if err != nil {
		return nil, Stored{}, err
	}
	defer obj.Close()
	rec, meta, err := readParquet(ctx, obj, s.mem, d.Schema(key.Market))
	if err != nil {
		return nil, Stored{}, fmt.Errorf("read %s: %w", key, err)
	}
	return rec, Stored{Version: obj.Version(), Meta: meta}, nil
}

func (s *Store) Write(ctx context.Context, key Key, rec arrow.RecordBatch, meta map[string]string, cond Precondition) (ObjectInfo, error) {
	if err := s.checkLegacy(ctx, key.Series()); err != nil {
		return ObjectInfo{}, err
	}
	d, err := key.dataset()
	if err != nil {
		return ObjectInfo{}, err
	}
	if !d.Conforms(key.Market, rec.Schema()) {
		return ObjectInfo{}, fmt.Errorf("write %s: %w: columns %s", key, ErrSchema, fieldNames(rec.Schema()))
	}
	return s.backend.Put(ctx, key.Path(), func(w io.Writer) error {
		return writeParquet(w, rec, meta, s.opts)
	}, cond)
}

func (s *Store) Meta(ctx context.Context, key Key) (FileMeta, error) {
	if err := s.checkLegacy(ctx, key.Series()); err != nil {
		return FileMeta{Key: key}, err
	}
	d, err := key.dataset()
	if err != nil {
		return FileMeta{Key: key}, err
	}
	obj, err := s.backend.Open(ctx, key.Path())
	if err != nil {
		return FileMeta{}, err
	}
	defer obj.Close()
	fm, err := readFooter(obj, d)
	fm.Key = key
	if err != nil {
		return fm, fmt.Errorf("read footer of %s: %w", key, err)
	}
	return fm, nil
}

func (s *Store) List(ctx context.Context, series Series) ([]Key, error) {
	if err := s.checkLegacy(ctx, series); err != nil {
		return nil, err
	}
	infos, err := s.backend.List(ctx, series.Dir()+"/")
	if err != nil {
		return nil, err
	}
	var keys []Key
	for _, in := range infos {
		if _, _, legacy := legacyMonthly(in.Name); legacy {
			continue // monthly files among 1m ones: checkLegacy reports them
		}
		if k, ok := ParseKey(in.Name); ok && k.Series() == series {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.Period, b.Period) })
	return keys, nil
}

// IsNotExist reports whether err says an object is missing.
func IsNotExist(err error) bool { return errors.Is(err, ErrNotExist) }
