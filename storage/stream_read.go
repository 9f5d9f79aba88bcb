package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// streamReadBuffer is what a streaming read holds of each column's pages:
// with the Parquet reader's default every column chunk of a row group is
// read whole into memory, tens of MB for a row group of a million trades.
// On S3 it is also the size of a ranged GET (stream_s3.go).
const streamReadBuffer = 1 << 20

// DefaultStreamBatch is the batch size ReadStream uses for batchRows <= 0.
const DefaultStreamBatch = 64 << 10

// streamOpener is a Backend whose objects can also be opened for
// streaming: read in ranges as the reader asks, never whole. Backends
// without it are read through Open, which on the local backend already
// reads only what is asked.
type streamOpener interface {
	OpenStream(ctx context.Context, name string) (Object, error)
}

// ReadStream opens the file of key for reading in batches of about
// batchRows rows (DefaultStreamBatch if batchRows <= 0), for merges that
// must not hold a whole file. With schema nil the file's own schema is
// used; otherwise the file must have schema's columns (ErrSchema) and
// batches come with schema itself. Errors wrap ErrNotExist when there is
// no file. version is the Version of what is read, for a conditional
// write of its replacement.
//
// The reader owns the open object: Release it when done. Its batches are
// valid until the next call to Next; Retain one to keep it.
func (s *Store) ReadStream(ctx context.Context, key Key, schema *arrow.Schema, batchRows int) (array.RecordReader, string, error) {
	if err := s.checkLegacy(ctx, key.Series()); err != nil {
		return nil, "", err
	}
	var (
		obj Object
		err error
	)
	if so, ok := s.backend.(streamOpener); ok {
		obj, err = so.OpenStream(ctx, key.Path())
	} else {
		obj, err = s.backend.Open(ctx, key.Path())
	}
	if err != nil {
		return nil, "", err
	}
	rr, err := s.newStreamReader(ctx, obj, schema, batchRows)
	if err != nil {
		obj.Close()
		return nil, "", fmt.Errorf("read %s: %w", key, err)
	}
	return rr, obj.Version(), nil
}

func (s *Store) newStreamReader(ctx context.Context, obj Object, want *arrow.Schema, batchRows int) (*streamReader, error) {
	if batchRows <= 0 {
		batchRows = DefaultStreamBatch
	}
	props := parquet.NewReaderProperties(s.mem)
	props.BufferedStreamEnabled = true
	props.BufferSize = streamReadBuffer
	pf, err := file.NewParquetReader(io.NewSectionReader(obj, 0, obj.Size()), file.WithReadProps(props))
	if err != nil {
		return nil, err
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(batchRows)}, readAllocator{s.mem})
	if err != nil {
		pf.Close()
		return nil, err
	}
	got, err := fr.Schema()
	if err != nil {
		pf.Close()
		return nil, err
	}
	if want == nil {
		want = got
	} else if !transform.SameFields(want, got) {
		pf.Close()
		return nil, fmt.Errorf("%w: columns %s, want %s", ErrSchema, fieldNames(got), fieldNames(want))
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		pf.Close()
		return nil, err
	}
	r := &streamReader{schema: want, rr: rr, pf: pf, obj: obj}
	r.refs.Store(1)
	return r, nil
}

// streamReader is pqarrow's record reader over one open object, with the
// caller's schema on its batches; the last Release closes the file.
type streamReader struct {
	refs   atomic.Int64
	schema *arrow.Schema
	rr     pqarrow.RecordReader
	pf     *file.Reader
	obj    Object
	cur    arrow.RecordBatch
	err    error
}

var _ array.RecordReader = (*streamReader)(nil)

func (r *streamReader) Retain() { r.refs.Add(1) }

func (r *streamReader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.rr.Release()
	r.pf.Close()
	r.obj.Close()
}

func (r *streamReader) Schema() *arrow.Schema { return r.schema }

func (r *streamReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil || !r.rr.Next() {
		if err := r.rr.Err(); err != nil && !errors.Is(err, io.EOF) && r.err == nil {
			r.err = err
		}
		return false
	}
	b := r.rr.RecordBatch()
	r.cur = array.NewRecordBatch(r.schema, b.Columns(), b.NumRows())
	return true
}

func (r *streamReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch under its deprecated name.
func (r *streamReader) Record() arrow.RecordBatch { return r.cur }

func (r *streamReader) Err() error { return r.err }
