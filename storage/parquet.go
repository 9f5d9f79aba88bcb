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
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// Parquet key-value metadata written into every file.
const (
	MetaSchemaVersion = "lakehouse.schema_version"
	MetaProducer      = "lakehouse.producer"
	MetaDataset       = "lakehouse.dataset"
)

// ErrSchema is returned (wrapped) for a Parquet file that does not have the
// columns and types of its dataset.
var ErrSchema = errors.New("not the dataset's schema")

func fieldNames(sc *arrow.Schema) string {
	names := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		names[i] = f.Name + " " + f.Type.String()
	}
	return strings.Join(names, ", ")
}

// Compressions maps --compression values to Parquet codecs.
var Compressions = map[string]compress.Compression{
	"zstd":         compress.Codecs.Zstd,
	"snappy":       compress.Codecs.Snappy,
	"gzip":         compress.Codecs.Gzip,
	"none":         compress.Codecs.Uncompressed,
	"uncompressed": compress.Codecs.Uncompressed,
}

// WriteOptions controls how Parquet files are encoded.
type WriteOptions struct {
	Compression string // a key of Compressions; default zstd
	Producer    string // "lakehouse <version>", stored in the file metadata
}

// dataPageSize bounds a data page before compression. Small pages keep the
// writer's buffers small and reused instead of growing a column's worth of
// bytes for every file (measured: faster, a third less memory, files the
// same size as with the library's 1 MiB default).
const dataPageSize = 64 << 10

// compressionLevel picks zstd's fastest level (about zstd -1): on klines
// it wrote smaller files than the default level (about -3) in less time
// (docs/benchmarks.md). Other codecs keep their defaults.
func compressionLevel(codec compress.Compression) int {
	if codec == compress.Codecs.Zstd {
		return 1
	}
	return compress.DefaultCompressionLevel
}

// maxRowGroup keeps a day of 1s candles (86,400 rows) in one row group.
const maxRowGroup = 1 << 17

// writerProps are the Parquet writer properties of every file: opts'
// codec (zstd by default) at compressionLevel, statistics, plain encodings,
// dataPageSize pages and row groups of at most rowGroupRows rows, plus
// extra.
func writerProps(opts WriteOptions, rowGroupRows int64, extra ...parquet.WriterProperty) (*parquet.WriterProperties, error) {
	codec, ok := Compressions[strings.ToLower(opts.Compression)]
	if !ok && opts.Compression != "" {
		return nil, fmt.Errorf("unknown compression %q", opts.Compression)
	}
	if opts.Compression == "" {
		codec = compress.Codecs.Zstd
	}
	return parquet.NewWriterProperties(append([]parquet.WriterProperty{
		parquet.WithCompression(codec), parquet.WithCompressionLevel(compressionLevel(codec)),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(rowGroupRows), parquet.WithDataPageSize(dataPageSize),
		parquet.WithCreatedBy(opts.Producer),
		parquet.WithDictionaryDefault(false),
	}, extra...)...), nil
}

func writeParquet(w io.Writer, rec arrow.RecordBatch, meta map[string]string, opts WriteOptions) error {
	props, err := writerProps(opts, maxRowGroup)
	if err != nil {
		return err
	}
	fw, err := pqarrow.NewFileWriter(rec.Schema(), w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	if err := fw.AppendKeyValueMetadata(MetaSchemaVersion, transform.SchemaVersion); err != nil {
		return err
	}
	if err := fw.AppendKeyValueMetadata(MetaProducer, opts.Producer); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if k == MetaSchemaVersion || k == MetaProducer || meta[k] == "" {
			continue
		}
		if err := fw.AppendKeyValueMetadata(k, meta[k]); err != nil {
			return err
		}
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// readParquet reads a whole file into one record batch of schema want,
// and its key-value metadata.
func readParquet(ctx context.Context, obj Object, mem memory.Allocator, want *arrow.Schema) (arrow.RecordBatch, map[string]string, error) {
	pf, err := file.NewParquetReader(io.NewSectionReader(obj, 0, obj.Size()), file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return nil, nil, err
	}
	defer pf.Close()
	meta := map[string]string{}
	kv := pf.MetaData().KeyValueMetadata()
	for i, k := range kv.Keys() {
		meta[k] = kv.Values()[i]
	}
	rec, err := readRecords(ctx, pf, mem, want)
	return rec, meta, err
}

func readRecords(ctx context.Context, pf *file.Reader, mem memory.Allocator, want *arrow.Schema) (arrow.RecordBatch, error) {
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: pf.NumRows() + 1}, readAllocator{mem})
	if err != nil {
		return nil, err
	}
	sc, err := fr.Schema()
	if err != nil {
		return nil, err
	}
	if !transform.SameFields(want, sc) {
		return nil, fmt.Errorf("%w: columns %s", ErrSchema, fieldNames(sc))
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var parts []arrow.RecordBatch
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	for rr.Next() {
		r := rr.RecordBatch()
		r.Retain()
		parts = append(parts, r)
	}
	if err := rr.Err(); err != nil && err != io.EOF {
		return nil, err
	}
	if len(parts) == 0 {
		b := array.NewRecordBuilder(mem, want)
		defer b.Release()
		return b.NewRecordBatch(), nil
	}
	return concatRecords(mem, want, parts)
}

// concatRecords joins batches into one with exactly schema sc (the Parquet
// reader adds field ids to the schema's metadata).
func concatRecords(mem memory.Allocator, sc *arrow.Schema, parts []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(parts) == 1 {
		return array.NewRecordBatch(sc, parts[0].Columns(), parts[0].NumRows()), nil
	}
	cols := make([]arrow.Array, len(sc.Fields()))
	var rows int64
	for _, p := range parts {
		rows += p.NumRows()
	}
	for i := range cols {
		chunks := make([]arrow.Array, len(parts))
		for j, p := range parts {
			chunks[j] = p.Column(i)
		}
		c, err := array.Concatenate(chunks, mem)
		if err != nil {
			for _, done := range cols[:i] {
				done.Release()
			}
			return nil, err
		}
		cols[i] = c
	}
	rec := array.NewRecordBatch(sc, cols, rows)
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}

// FileMeta is what the footer of a stored file says, without reading data.
type FileMeta struct {
	Key     Key
	Version string
	Size    int64
	Rows    int64
	// MinKey and MaxKey bound the dataset's key column (open_time for
	// klines, ms; id for trades), MinTime and MaxTime its time column (in
	// the dataset's unit); valid when Rows > 0 and HasStats.
	MinKey, MaxKey   int64
	MinTime, MaxTime int64
	HasStats         bool
	SchemaVersion    string
	Producer         string
	// Meta is the file's key-value metadata.
	Meta map[string]string
}

func readFooter(obj Object, d *transform.Dataset) (FileMeta, error) {
	pf, err := file.NewParquetReader(io.NewSectionReader(obj, 0, obj.Size()))
	if err != nil {
		return FileMeta{}, err
	}
	defer pf.Close()
	md := pf.MetaData()
	fm := FileMeta{Version: obj.Version(), Size: obj.Size(), Rows: md.NumRows, Meta: map[string]string{}}
	kv := md.KeyValueMetadata()
	for i, k := range kv.Keys() {
		fm.Meta[k] = kv.Values()[i]
	}
	fm.SchemaVersion = fm.Meta[MetaSchemaVersion]
	fm.Producer = fm.Meta[MetaProducer]
	keyCol := md.Schema.ColumnIndexByName(d.Key)
	timeCol := md.Schema.ColumnIndexByName(d.Time)
	for _, c := range [...]struct {
		idx  int
		name string
	}{{keyCol, d.Key}, {timeCol, d.Time}} {
		if c.idx < 0 {
			return fm, fmt.Errorf("%w: no %s column", ErrSchema, c.name)
		}
	}
	fm.HasStats = md.NumRowGroups() > 0
	for i := 0; i < md.NumRowGroups() && fm.HasStats; i++ {
		rg := md.RowGroup(i)
		kmin, kmax, ok1 := int64Stats(rg, keyCol)
		tmin, tmax, ok2 := int64Stats(rg, timeCol)
		if !ok1 || !ok2 {
			fm.HasStats = false
			break
		}
		if i == 0 {
			fm.MinKey, fm.MaxKey, fm.MinTime, fm.MaxTime = kmin, kmax, tmin, tmax
			continue
		}
		fm.MinKey, fm.MaxKey = min(fm.MinKey, kmin), max(fm.MaxKey, kmax)
		fm.MinTime, fm.MaxTime = min(fm.MinTime, tmin), max(fm.MaxTime, tmax)
	}
	return fm, nil
}

func int64Stats(rg *metadata.RowGroupMetaData, col int) (min, max int64, ok bool) {
	cc, err := rg.ColumnChunk(col)
	if err != nil {
		return 0, 0, false
	}
	if set, err := cc.StatsSet(); err != nil || !set {
		return 0, 0, false
	}
	st, err := cc.Statistics()
	if err != nil || st == nil || !st.HasMinMax() {
		return 0, 0, false
	}
	is, ok := st.(*metadata.Int64Statistics)
	if !ok {
		return 0, 0, false
	}
	return is.Min(), is.Max(), true
}
