package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// Streaming writes are for files too big to hold as one record batch (a
// day of a busy symbol's trades is millions of rows): the caller hands
// batches over one by one and they leave as Parquet row groups as soon as
// a row group fills, so memory stays flat whatever the size of the file.
//
// A row group under construction is held in memory compressed (pqarrow's
// buffered row group: every column's pages in its own growing buffer), so
// it is cut by compressed size as well as by rows. Measured on 5M rows of
// trades-like columns, 192 MiB in Arrow (TestStreamLocal): row groups of
// 393,216 rows, 16 MiB of Arrow buffers at most (the caller's 64Ki-row
// batches included), 10-25 MiB of live heap, 37-52 MiB of heap with the
// default GOGC; the same for any number of rows. With 16 MiB row groups
// those were 27 MiB of buffers and 71 MiB of heap.
const (
	// streamRowGroupRows caps a row group's rows: about a million, the
	// size DuckDB and Spark read well.
	streamRowGroupRows = 1 << 20
	// streamRowGroupBytes caps a row group's compressed bytes held in
	// memory; the buffers that hold them grow by doubling, so the heap
	// they take is up to twice this. Real trades compress better than the
	// test's random prices, so their row groups hold more rows.
	streamRowGroupBytes = 8 << 20
	// streamSliceRows is the step in which a batch is fed to the writer,
	// so that one big batch is still cut at streamRowGroupBytes.
	streamSliceRows = 64 << 10
)

// BatchWriter takes the record batches of one file, in file order.
type BatchWriter interface {
	// Write appends rec's rows to the file. rec must have the columns of
	// the file's schema (names and types; field metadata is ignored). The
	// writer does not keep rec: the caller may release it on return.
	Write(rec arrow.RecordBatch) error
}

// WriteStream writes one Parquet file of schema under key from the batches
// fill hands to its BatchWriter, row group by row group, with the codec,
// page size and statistics of Write. The file carries the schema version
// and producer like every file, plus meta (which may override the schema
// version). The write is atomic like Write: if fill fails, ctx is
// cancelled or cond does not hold, nothing is published and no temporary
// file or pending multipart upload is left.
//
// fill may be called more than once: a backend retries a whole write when
// a server turns out not to honour conditional writes (s3put.go). Each call
// must hand over the same rows from the start.
func (s *Store) WriteStream(ctx context.Context, key Key, schema *arrow.Schema, meta map[string]string, fill func(w BatchWriter) error, cond Precondition) (ObjectInfo, error) {
	if err := s.checkLegacy(ctx, key.Series()); err != nil {
		return ObjectInfo{}, err
	}
	props, err := writerProps(s.opts, streamRowGroupRows, append(streamColumnProps(schema, s.opts), parquet.WithAllocator(s.mem))...)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", key, err)
	}
	kv := map[string]string{MetaSchemaVersion: transform.SchemaVersion, MetaProducer: s.opts.Producer}
	maps.Copy(kv, meta)
	put := s.backend.Put
	if sp, ok := s.backend.(streamPutter); ok {
		put = sp.PutStream
	}
	return put(ctx, key.Path(), func(w io.Writer) error {
		sw, err := newStreamWriter(ctx, w, schema, props, kv)
		if err != nil {
			return err
		}
		if err := fill(sw); err != nil {
			sw.abort()
			return err
		}
		return sw.close()
	}, cond)
}

// streamColumnProps are what streamed files add to writerProps: their
// integer and timestamp columns (ids and times, sorted) are
// DELTA_BINARY_PACKED, which makes ids of consecutive trades about
// nothing and costs a tenth of zstd on their plain values, and zstd runs
// at zstdStreamLevel (zstd_stream.go). Floats stay PLAIN:
// BYTE_STREAM_SPLIT would be faster still, but Spark's vectorized Parquet
// reader (its default) does not decode it; it decodes DELTA_BINARY_PACKED
// since Spark 3.3.
func streamColumnProps(sc *arrow.Schema, opts WriteOptions) []parquet.WriterProperty {
	var props []parquet.WriterProperty
	if c := strings.ToLower(opts.Compression); c == "" || c == "zstd" {
		props = append(props, parquet.WithCompressionLevel(zstdStreamLevel))
	}
	for _, f := range sc.Fields() {
		switch f.Type.ID() {
		case arrow.INT64, arrow.TIMESTAMP:
			props = append(props, parquet.WithEncodingFor(f.Name, parquet.Encodings.DeltaBinaryPacked))
		}
	}
	return props
}

// streamPutter is a Backend with a Put for big streamed objects that keeps
// less in memory than its Put (S3: smaller upload buffers).
type streamPutter interface {
	PutStream(ctx context.Context, name string, write func(io.Writer) error, cond Precondition) (ObjectInfo, error)
}

// streamWriter is the BatchWriter of one WriteStream call.
type streamWriter struct {
	ctx    context.Context
	schema *arrow.Schema
	out    *abortableWriter
	fw     *pqarrow.FileWriter
	err    error // the first failure; the file is lost after it
}

func newStreamWriter(ctx context.Context, w io.Writer, schema *arrow.Schema, props *parquet.WriterProperties, kv map[string]string) (*streamWriter, error) {
	out := &abortableWriter{w: w}
	fw, err := pqarrow.NewFileWriter(schema, out, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return nil, err
	}
	// Sorted, so that equal inputs give equal files.
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		if err := fw.AppendKeyValueMetadata(k, kv[k]); err != nil {
			fw.Close()
			return nil, err
		}
	}
	return &streamWriter{ctx: ctx, schema: schema, out: out, fw: fw}, nil
}

var errStreamClosed = errors.New("batch writer used after its fill function returned")

func (w *streamWriter) Write(rec arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if !transform.SameFields(w.schema, rec.Schema()) {
		return fmt.Errorf("%w: batch has columns %s, the file %s", ErrSchema, fieldNames(rec.Schema()), fieldNames(w.schema))
	}
	for off := int64(0); off < rec.NumRows(); off += streamSliceRows {
		n := min(streamSliceRows, rec.NumRows()-off)
		// The writer's own schema object: pqarrow wants an Equal schema,
		// and batches read from Parquet carry field ids in their metadata.
		part := array.NewRecordBatch(w.schema, rec.Columns(), rec.NumRows())
		if off > 0 || n < rec.NumRows() {
			sliced := part.NewSlice(off, off+n)
			part.Release()
			part = sliced
		}
		err := w.fw.WriteBuffered(part)
		part.Release()
		if err == nil && w.fw.RowGroupTotalBytesWritten() >= streamRowGroupBytes {
			err = w.fw.NewBufferedRowGroupChecked()
		}
		if err != nil {
			w.err = err
			return err
		}
	}
	return nil
}

// close writes the last row group and the footer.
func (w *streamWriter) close() error {
	if w.err != nil {
		w.abort()
		return w.err
	}
	w.err = errStreamClosed
	return w.fw.Close()
}

// abort frees the writer's buffers without writing them: the backend
// throws the partial object away anyway.
func (w *streamWriter) abort() {
	if w.err != errStreamClosed {
		w.out.discard = true
		w.fw.Close()
	}
	w.err = errStreamClosed
}

// abortableWriter drops everything once discard is set, so that closing an
// abandoned file writer does not encode and send a last row group.
type abortableWriter struct {
	w       io.Writer
	discard bool
}

func (a *abortableWriter) Write(p []byte) (int, error) {
	if a.discard {
		return len(p), nil
	}
	return a.w.Write(p)
}
