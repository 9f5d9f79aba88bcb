package transform

import (
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Kline is one parsed candle.
type Kline struct {
	OpenTime      int64 // ms since the epoch, UTC
	Open          float64
	High          float64
	Low           float64
	Close         float64
	Volume        float64
	CloseTime     int64 // ms
	QuoteVolume   float64
	Trades        int64
	TakerBuyBase  float64
	TakerBuyQuote float64
}

// RawKline is a candle as Binance sends it: times as integers, decimals as
// strings. Its fields are named like go-binance's Kline types so those
// convert to it without copying field by field.
type RawKline struct {
	OpenTime                 int64
	Open                     string
	High                     string
	Low                      string
	Close                    string
	Volume                   string
	CloseTime                int64
	QuoteAssetVolume         string
	TradeNum                 int64
	TakerBuyBaseAssetVolume  string
	TakerBuyQuoteAssetVolume string
}

// rawFloatColumns names the decimal fields of a RawKline, in the order
// Parse reads them.
var rawFloatColumns = [...]string{ColOpen, ColHigh, ColLow, ColClose, ColVolume,
	ColQuoteVolume, ColTakerBuyBaseVolume, ColTakerBuyQuoteVolume}

// Parse converts the decimal strings of a raw kline.
func (r RawKline) Parse() (Kline, error) {
	s := [len(rawFloatColumns)]string{r.Open, r.High, r.Low, r.Close, r.Volume,
		r.QuoteAssetVolume, r.TakerBuyBaseAssetVolume, r.TakerBuyQuoteAssetVolume}
	var v [len(rawFloatColumns)]float64
	for i := range s {
		f, err := ParseFloat(s[i])
		if err != nil {
			return Kline{}, &RowError{OpenTime: r.OpenTime, Type: ErrParse, Detail: rawFloatColumns[i] + " " + strconv.Quote(s[i]) + " is not a number"}
		}
		v[i] = f
	}
	return Kline{OpenTime: r.OpenTime, CloseTime: r.CloseTime, Trades: r.TradeNum,
		Open: v[0], High: v[1], Low: v[2], Close: v[3], Volume: v[4],
		QuoteVolume: v[5], TakerBuyBase: v[6], TakerBuyQuote: v[7]}, nil
}

// Builder accumulates validated klines of one interval into Arrow columns.
// Rows that fail validation are not appended; they are counted in Rejected.
// A Builder is not safe for concurrent use.
//
// Every klines column is 8 bytes wide and never null, so the Builder writes
// values straight into one Arrow buffer per column (no validity bitmaps, no
// per-value builder calls) and hands the buffers to the record batch.
type Builder struct {
	iv   Interval
	step int64 // ms of a fixed-length interval on the epoch grid, else 0
	mem  memory.Allocator
	bufs [numColumns]*memory.Buffer
	cols [numColumns][]uint64 // the buffers' bytes, as many rows as they hold
	rows int

	// Rejected counts the rows that failed parsing or validation, by
	// reason, with the first few of each (bounded however many fail).
	Rejected Rejections
}

// NewBuilder returns a Builder for klines of interval iv.
func NewBuilder(mem memory.Allocator, iv Interval) *Builder {
	return &Builder{iv: iv, mem: mem, step: iv.epochStep()}
}

// Len is the number of rows appended since the last NewRecord.
func (b *Builder) Len() int { return b.rows }

// Reserve makes room for n more rows.
func (b *Builder) Reserve(n int) { b.grow(b.rows + n) }

// grow makes room for at least rows rows, keeping those appended.
func (b *Builder) grow(rows int) {
	if rows <= len(b.cols[0]) && b.bufs[0] != nil {
		return
	}
	for c := range b.bufs {
		if b.bufs[c] == nil {
			b.bufs[c] = memory.NewResizableBuffer(b.mem)
		}
		b.bufs[c].Reserve(rows * 8)
		b.cols[c] = arrow.Uint64Traits.CastFromBytes(b.bufs[c].Buf())
	}
}

// AppendRaw parses, validates and appends r. It reports whether the row was
// accepted; a rejected row is counted in Rejected.
func (b *Builder) AppendRaw(r RawKline) bool {
	k, err := r.Parse()
	if err != nil {
		b.Rejected.Add(err.(*RowError))
		return false
	}
	return b.Append(k)
}

// Append validates and appends k; see AppendRaw.
func (b *Builder) Append(k Kline) bool {
	var err *RowError
	if b.step > 0 {
		err = validateStep(b.iv, b.step, k)
	} else {
		err = Validate(b.iv, k)
	}
	if err != nil {
		b.Rejected.Add(err)
		return false
	}
	b.appendUnchecked(k)
	return true
}

func (b *Builder) appendUnchecked(k Kline) {
	i := b.rows
	if i >= len(b.cols[0]) {
		b.grow(max(2*i, 1024))
	}
	b.cols[idxOpenTime][i] = uint64(k.OpenTime)
	b.cols[idxOpen][i] = math.Float64bits(k.Open)
	b.cols[idxHigh][i] = math.Float64bits(k.High)
	b.cols[idxLow][i] = math.Float64bits(k.Low)
	b.cols[idxClose][i] = math.Float64bits(k.Close)
	b.cols[idxVolume][i] = math.Float64bits(k.Volume)
	b.cols[idxCloseTime][i] = uint64(k.CloseTime)
	b.cols[idxQuoteVolume][i] = math.Float64bits(k.QuoteVolume)
	b.cols[idxTrades][i] = uint64(k.Trades)
	b.cols[idxTakerBase][i] = math.Float64bits(k.TakerBuyBase)
	b.cols[idxTakerQuote][i] = math.Float64bits(k.TakerBuyQuote)
	b.rows++
}

// NewRecord returns the rows appended so far as a record batch, in append
// order, and resets the builder. The caller releases the record.
func (b *Builder) NewRecord() arrow.RecordBatch {
	b.grow(0) // an empty batch still gets its (empty) buffers
	for _, buf := range b.bufs {
		// Give back what a growing builder over-reserved, if it is much.
		buf.Resize(b.rows * 8)
	}
	rec := recordOf(b.bufs, b.rows)
	b.bufs, b.cols, b.rows = [numColumns]*memory.Buffer{}, [numColumns][]uint64{}, 0
	return rec
}

// recordOf makes a klines batch of n rows from one value buffer per
// column (8 bytes a value, no nulls), taking over the buffers' references.
func recordOf(bufs [numColumns]*memory.Buffer, n int) arrow.RecordBatch {
	cols := make([]arrow.Array, numColumns)
	for c, buf := range bufs {
		data := array.NewData(Schema.Field(c).Type, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
		cols[c] = array.MakeFromData(data)
		data.Release()
		buf.Release()
	}
	rec := array.NewRecordBatch(Schema, cols, int64(n))
	for _, col := range cols {
		col.Release()
	}
	return rec
}

// Release frees the builder's buffers.
func (b *Builder) Release() {
	for c, buf := range b.bufs {
		if buf != nil {
			buf.Release()
		}
		b.bufs[c], b.cols[c] = nil, nil
	}
	b.rows = 0
}
