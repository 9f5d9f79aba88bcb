package transform

import (
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

// Parse converts the decimal strings of a raw kline.
func (r RawKline) Parse() (Kline, error) {
	k := Kline{OpenTime: r.OpenTime, CloseTime: r.CloseTime, Trades: r.TradeNum}
	fields := [...]struct {
		name string
		s    string
		dst  *float64
	}{
		{ColOpen, r.Open, &k.Open}, {ColHigh, r.High, &k.High}, {ColLow, r.Low, &k.Low},
		{ColClose, r.Close, &k.Close}, {ColVolume, r.Volume, &k.Volume},
		{ColQuoteVolume, r.QuoteAssetVolume, &k.QuoteVolume},
		{ColTakerBuyBaseVolume, r.TakerBuyBaseAssetVolume, &k.TakerBuyBase},
		{ColTakerBuyQuoteVolume, r.TakerBuyQuoteAssetVolume, &k.TakerBuyQuote},
	}
	for _, f := range fields {
		v, err := strconv.ParseFloat(f.s, 64)
		if err != nil {
			return k, &RowError{OpenTime: r.OpenTime, Type: ErrParse, Detail: f.name + " " + strconv.Quote(f.s) + " is not a number"}
		}
		*f.dst = v
	}
	return k, nil
}

// Builder accumulates validated klines of one interval into Arrow columns.
// Rows that fail validation are not appended; they are kept in Rejected.
// A Builder is not safe for concurrent use.
type Builder struct {
	iv       Interval
	rb       *array.RecordBuilder
	openTime *array.TimestampBuilder
	closeTs  *array.TimestampBuilder
	floats   [8]*array.Float64Builder
	trades   *array.Int64Builder
	rows     int

	// Rejected holds every row that failed parsing or validation.
	Rejected []*RowError
}

// NewBuilder returns a Builder for klines of interval iv.
func NewBuilder(mem memory.Allocator, iv Interval) *Builder {
	rb := array.NewRecordBuilder(mem, Schema)
	b := &Builder{iv: iv, rb: rb}
	b.openTime = rb.Field(idxOpenTime).(*array.TimestampBuilder)
	b.closeTs = rb.Field(idxCloseTime).(*array.TimestampBuilder)
	b.trades = rb.Field(idxTrades).(*array.Int64Builder)
	for i, idx := range [...]int{idxOpen, idxHigh, idxLow, idxClose, idxVolume, idxQuoteVolume, idxTakerBase, idxTakerQuote} {
		b.floats[i] = rb.Field(idx).(*array.Float64Builder)
	}
	return b
}

// Len is the number of rows appended since the last NewRecord.
func (b *Builder) Len() int { return b.rows }

// Reserve makes room for n more rows.
func (b *Builder) Reserve(n int) { b.rb.Reserve(n) }

// AppendRaw parses, validates and appends r. It reports whether the row was
// accepted; a rejected row is recorded in Rejected.
func (b *Builder) AppendRaw(r RawKline) bool {
	k, err := r.Parse()
	if err != nil {
		b.Rejected = append(b.Rejected, err.(*RowError))
		return false
	}
	return b.Append(k)
}

// Append validates and appends k; see AppendRaw.
func (b *Builder) Append(k Kline) bool {
	if err := Validate(b.iv, k); err != nil {
		b.Rejected = append(b.Rejected, err)
		return false
	}
	b.appendUnchecked(k)
	return true
}

func (b *Builder) appendUnchecked(k Kline) {
	b.openTime.Append(arrow.Timestamp(k.OpenTime))
	b.closeTs.Append(arrow.Timestamp(k.CloseTime))
	b.floats[0].Append(k.Open)
	b.floats[1].Append(k.High)
	b.floats[2].Append(k.Low)
	b.floats[3].Append(k.Close)
	b.floats[4].Append(k.Volume)
	b.floats[5].Append(k.QuoteVolume)
	b.floats[6].Append(k.TakerBuyBase)
	b.floats[7].Append(k.TakerBuyQuote)
	b.trades.Append(k.Trades)
	b.rows++
}

// NewRecord returns the rows appended so far as a record batch, in append
// order, and resets the builder. The caller releases the record.
func (b *Builder) NewRecord() arrow.RecordBatch {
	b.rows = 0
	return b.rb.NewRecordBatch()
}

// Release frees the builder's buffers.
func (b *Builder) Release() { b.rb.Release() }
