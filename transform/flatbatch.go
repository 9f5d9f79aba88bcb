package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// flatBatch holds the columns of a record batch being built whose columns
// are all non-null and either 8 bytes wide (int64, float64, timestamp) or
// boolean, as raw Arrow buffers: a builder writes values straight into
// them (no validity bitmaps, no per-value builder calls) and hands the
// buffers to the record batch. The trade builders and the merge by key
// use it; the klines Builder predates it and keeps its own fixed array.
type flatBatch struct {
	schema *arrow.Schema
	mem    memory.Allocator
	bufs   []*memory.Buffer
	words  [][]uint64 // per column: its values, nil for a boolean column
	bits   [][]byte   // per column: its bitmap, nil for an 8-byte column
	cap    int        // rows the buffers hold
	rows   int
}

// checkFlatSchema tells whether every field of sc is an 8-byte or a
// boolean column, the only kinds flatBatch and the merge by key handle.
func checkFlatSchema(sc *arrow.Schema) error {
	for _, f := range sc.Fields() {
		if !isBoolType(f.Type) && !isWordType(f.Type) {
			return fmt.Errorf("column %s: type %s is neither 8 bytes wide nor boolean", f.Name, f.Type)
		}
	}
	return nil
}

func isBoolType(t arrow.DataType) bool { return t.ID() == arrow.BOOL }

func isWordType(t arrow.DataType) bool {
	fw, ok := t.(arrow.FixedWidthDataType)
	return ok && t.ID() != arrow.BOOL && fw.BitWidth() == 64
}

func newFlatBatch(mem memory.Allocator, sc *arrow.Schema) flatBatch {
	n := sc.NumFields()
	return flatBatch{schema: sc, mem: mem, bufs: make([]*memory.Buffer, n),
		words: make([][]uint64, n), bits: make([][]byte, n)}
}

// grow makes room for at least rows rows, keeping those written.
func (b *flatBatch) grow(rows int) {
	if rows <= b.cap && b.bufs[0] != nil {
		return
	}
	for c, f := range b.schema.Fields() {
		if b.bufs[c] == nil {
			b.bufs[c] = memory.NewResizableBuffer(b.mem)
		}
		if isBoolType(f.Type) {
			b.bufs[c].Reserve(int(bitutil.BytesForBits(int64(rows))))
			b.bits[c] = b.bufs[c].Buf()
		} else {
			b.bufs[c].Reserve(rows * 8)
			b.words[c] = arrow.Uint64Traits.CastFromBytes(b.bufs[c].Buf())
		}
	}
	b.cap = rows
}

// next returns the index of a new row, growing the buffers if needed. The
// caller writes every column of it.
func (b *flatBatch) next() int {
	i := b.rows
	if i >= b.cap {
		b.grow(max(2*i, 1024))
	}
	b.rows++
	return i
}

// setBit writes a boolean; the buffers are not zeroed, so both values are
// written.
func setBit(bits []byte, i int, v bool) {
	if v {
		bits[i>>3] |= 1 << (i & 7)
	} else {
		bits[i>>3] &^= 1 << (i & 7)
	}
}

// record returns the rows written so far as a record batch and resets the
// buffers. The caller releases the record.
func (b *flatBatch) record() arrow.RecordBatch {
	b.grow(0) // an empty batch still gets its (empty) buffers
	n := b.rows
	cols := make([]arrow.Array, len(b.bufs))
	for c, buf := range b.bufs {
		typ := b.schema.Field(c).Type
		if isBoolType(typ) {
			buf.Resize(int(bitutil.BytesForBits(int64(n))))
		} else {
			buf.Resize(n * 8) // give back what a growing batch over-reserved
		}
		data := array.NewData(typ, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
		cols[c] = array.MakeFromData(data)
		data.Release()
		buf.Release()
		b.bufs[c], b.words[c], b.bits[c] = nil, nil, nil
	}
	rec := array.NewRecordBatch(b.schema, cols, int64(n))
	for _, col := range cols {
		col.Release()
	}
	b.rows, b.cap = 0, 0
	return rec
}

// release frees the buffers.
func (b *flatBatch) release() {
	for c, buf := range b.bufs {
		if buf != nil {
			buf.Release()
		}
		b.bufs[c], b.words[c], b.bits[c] = nil, nil, nil
	}
	b.rows, b.cap = 0, 0
}
