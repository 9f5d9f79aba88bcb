package transform

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// tradeBuilder is what TradesBuilder and AggTradesBuilder share: the rows
// in Arrow buffers, the id sequence of the current file and the rejects.
// Each builder embeds it and adds its own Append, AppendRaw and CSV row.
type tradeBuilder struct {
	market tradeMarket
	cols   flatBatch
	lastID int64
	seen   bool // a row was accepted since StartFile

	// Rejected counts the rows that failed parsing or validation, by
	// reason, with the first few of each.
	Rejected Rejections
}

func newTradeBuilder(mem memory.Allocator, m tradeMarket, sc *arrow.Schema) tradeBuilder {
	return tradeBuilder{market: m, cols: newFlatBatch(mem, sc)}
}

// Schema is the schema of the builder's record batches.
func (b *tradeBuilder) Schema() *arrow.Schema { return b.cols.schema }

// Len is the number of rows appended since the last NewRecord.
func (b *tradeBuilder) Len() int { return b.cols.rows }

// Reserve makes room for n more rows.
func (b *tradeBuilder) Reserve(n int) { b.cols.grow(b.cols.rows + n) }

// StartFile forgets the last id, so the next row may have any id: ids only
// have to increase within one file or page sequence.
func (b *tradeBuilder) StartFile() { b.lastID, b.seen = 0, false }

func (b *tradeBuilder) startFile() { b.StartFile() }

// NewRecord returns the rows appended since the last call as a record
// batch and empties the builder (the id sequence goes on). The caller
// releases the record.
func (b *tradeBuilder) NewRecord() arrow.RecordBatch { return b.cols.record() }

// Release frees the builder's buffers.
func (b *tradeBuilder) Release() { b.cols.release() }

// Rejections are the rows the builder has refused, by reason.
func (b *tradeBuilder) Rejections() *Rejections { return &b.Rejected }
