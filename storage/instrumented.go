package storage

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-dev/lakehouse/telemetry"
)

// InstrumentedSink wraps any Sink with storage telemetry: one count and
// one duration per operation, the size of each object written and the
// errors by type. It changes no behaviour of the Sink it wraps.
type InstrumentedSink struct {
	next Sink
	rec  *telemetry.StorageRecorder
}

var _ Sink = (*InstrumentedSink)(nil)

// NewInstrumentedSink wraps next; m nil returns next unwrapped.
func NewInstrumentedSink(next Sink, m *telemetry.Metrics) Sink {
	if m == nil {
		return next
	}
	return &InstrumentedSink{next: next, rec: m.Storage(next.Backend())}
}

// Storage operation names as they appear in the operation attribute.
const (
	opRead  = "read"
	opWrite = "write"
	opMeta  = "meta"
	opList  = "list"
)

func (s *InstrumentedSink) Read(ctx context.Context, key Key) (arrow.RecordBatch, Stored, error) {
	start := time.Now()
	rec, st, err := s.next.Read(ctx, key)
	s.record(ctx, opRead, start, 0, err)
	return rec, st, err
}

func (s *InstrumentedSink) Write(ctx context.Context, key Key, rec arrow.RecordBatch, meta map[string]string, cond Precondition) (ObjectInfo, error) {
	start := time.Now()
	info, err := s.next.Write(ctx, key, rec, meta, cond)
	size := int64(0)
	if err == nil {
		size = info.Size
	}
	s.record(ctx, opWrite, start, size, err)
	return info, err
}

func (s *InstrumentedSink) WriteStream(ctx context.Context, key Key, schema *arrow.Schema, meta map[string]string, fill func(w BatchWriter) error, cond Precondition) (ObjectInfo, error) {
	start := time.Now()
	info, err := s.next.WriteStream(ctx, key, schema, meta, fill, cond)
	size := int64(0)
	if err == nil {
		size = info.Size
	}
	s.record(ctx, opWrite, start, size, err)
	return info, err
}

// ReadStream counts the opening of the file; its batches are read later,
// as the caller asks.
func (s *InstrumentedSink) ReadStream(ctx context.Context, key Key, schema *arrow.Schema, batchRows int) (array.RecordReader, string, error) {
	start := time.Now()
	rr, version, err := s.next.ReadStream(ctx, key, schema, batchRows)
	s.record(ctx, opRead, start, 0, err)
	return rr, version, err
}

func (s *InstrumentedSink) Meta(ctx context.Context, key Key) (FileMeta, error) {
	start := time.Now()
	fm, err := s.next.Meta(ctx, key)
	s.record(ctx, opMeta, start, 0, err)
	return fm, err
}

func (s *InstrumentedSink) List(ctx context.Context, series Series) ([]Key, error) {
	start := time.Now()
	keys, err := s.next.List(ctx, series)
	s.record(ctx, opList, start, 0, err)
	return keys, err
}

func (s *InstrumentedSink) Backend() string { return s.next.Backend() }

// Location forwards to the wrapped Sink when it has one (Store does).
func (s *InstrumentedSink) Location() string {
	if l, ok := s.next.(interface{ Location() string }); ok {
		return l.Location()
	}
	return s.next.Backend()
}

func (s *InstrumentedSink) Close() error { return s.next.Close() }

func (s *InstrumentedSink) record(ctx context.Context, op string, start time.Time, size int64, err error) {
	status, errType := classify(err)
	s.rec.Record(ctx, op, status, errType, time.Since(start), size)
}

// classify maps an error to the operation status and a bounded error
// type. A missing object is an answer, not a failure: the first write of
// every file starts with one.
func classify(err error) (status, errType string) {
	switch {
	case err == nil:
		return telemetry.StorageOK, ""
	case errors.Is(err, ErrNotExist):
		return telemetry.StorageNotFound, ""
	case errors.Is(err, ErrPrecondition):
		return telemetry.StorageError, "precondition_failed"
	case errors.Is(err, context.Canceled):
		return telemetry.StorageError, "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return telemetry.StorageError, "timeout"
	case errors.Is(err, fs.ErrPermission):
		return telemetry.StorageError, "permission_denied"
	}
	return telemetry.StorageError, "io_error"
}
