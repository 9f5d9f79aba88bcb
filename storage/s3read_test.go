package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// replacedObject serves a file's footer but fails reads before it with
// ErrPrecondition, as an s3Object does when the object is replaced between
// the footer and the data.
type replacedObject struct {
	data   []byte
	footer int64
}

func (o *replacedObject) ReadAt(p []byte, off int64) (int, error) {
	if off < o.footer {
		return 0, fmt.Errorf("read: changed while reading: %w", ErrPrecondition)
	}
	return bytes.NewReader(o.data).ReadAt(p, off)
}
func (o *replacedObject) Size() int64     { return int64(len(o.data)) }
func (o *replacedObject) Version() string { return "v1" }
func (o *replacedObject) Close() error    { return nil }

// The Parquet reader must keep ErrPrecondition in the error chain, so that
// collect's merge loop reads the new version again instead of failing.
func TestReadParquetKeepsPreconditionError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	iv := transform.Interval("1m")
	b := transform.NewBuilder(mem, iv)
	for i := int64(0); i < 5000; i++ {
		b.Append(transform.Kline{OpenTime: i * 60_000, Open: 1, High: 2, Low: 0.5, Close: 1, Volume: float64(i), CloseTime: iv.CloseTime(i * 60_000), Trades: i})
	}
	rec := b.NewRecord()
	b.Release()
	defer rec.Release()
	var buf bytes.Buffer
	if err := writeParquet(&buf, rec, nil, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	obj := &replacedObject{data: buf.Bytes(), footer: int64(buf.Len()) - 4096}
	got, _, err := readParquet(context.Background(), obj, mem, transform.Schema)
	if got != nil {
		got.Release()
	}
	if !errors.Is(err, ErrPrecondition) {
		t.Fatalf("readParquet = %v, want an error wrapping ErrPrecondition", err)
	}
}
