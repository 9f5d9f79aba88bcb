package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// MergeStats tells what a merge did.
type MergeStats struct {
	Existing int // rows in the stored batch
	Incoming int // rows in the new batch
	Rows     int // rows in the result
	Added    int // open times in the result that the stored batch did not have
	Replaced int // stored rows whose values the new batch changed
}

// Merge combines the stored rows (existing, may be nil) with new rows
// (incoming): the result is sorted by open_time with one row per open_time;
// where both have a candle the incoming one wins, so a later correction by
// Binance replaces the stored value (Replaced counts rows whose bytes change).
// Within one input the last row of an open_time wins. Neither input is
// modified or released; the caller releases the result.
//
// It is MergeByKey with open_time as the key (every klines column is 8
// bytes wide): it works on whole columns and does not copy at all when
// there is nothing stored and the new rows are already sorted, the usual
// case of a backfill. With neither input the result is an empty batch.
func Merge(mem memory.Allocator, existing, incoming arrow.RecordBatch) (arrow.RecordBatch, MergeStats, error) {
	var st MergeStats
	for _, rec := range [...]arrow.RecordBatch{existing, incoming} {
		if rec != nil && !rec.Schema().Equal(Schema) {
			return nil, st, fmt.Errorf("merge: schema mismatch: %s", rec.Schema())
		}
	}
	out, st := mergeKeyed(mem, Schema, existing, incoming)
	return out, st, nil
}

// Normalize sorts and de-duplicates one batch (last row wins).
func Normalize(mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	out, _, err := Merge(mem, nil, rec)
	return out, err
}

// rowAt reads row i of a klines batch.
func rowAt(rec arrow.RecordBatch, i int) Kline {
	f := func(idx int) float64 { return rec.Column(idx).(*array.Float64).Value(i) }
	return Kline{
		OpenTime:      int64(rec.Column(idxOpenTime).(*array.Timestamp).Value(i)),
		Open:          f(idxOpen),
		High:          f(idxHigh),
		Low:           f(idxLow),
		Close:         f(idxClose),
		Volume:        f(idxVolume),
		CloseTime:     int64(rec.Column(idxCloseTime).(*array.Timestamp).Value(i)),
		QuoteVolume:   f(idxQuoteVolume),
		Trades:        rec.Column(idxTrades).(*array.Int64).Value(i),
		TakerBuyBase:  f(idxTakerBase),
		TakerBuyQuote: f(idxTakerQuote),
	}
}

// Rows returns the candles of a klines batch, for tests and small reports.
func Rows(rec arrow.RecordBatch) []Kline {
	out := make([]Kline, rec.NumRows())
	for i := range out {
		out[i] = rowAt(rec, i)
	}
	return out
}

// TimeRange returns the first and last open_time of a sorted batch.
func TimeRange(rec arrow.RecordBatch) (first, last int64, ok bool) {
	n := int(rec.NumRows())
	if n == 0 {
		return 0, 0, false
	}
	ts := rec.Column(idxOpenTime).(*array.Timestamp)
	return int64(ts.Value(0)), int64(ts.Value(n - 1)), true
}
