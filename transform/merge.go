package transform

import (
	"fmt"
	"slices"

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

type rowRef struct {
	openTime int64
	batch    int // 0 = existing, 1 = incoming
	row      int
}

// Merge combines the stored rows (existing, may be nil) with new rows
// (incoming): the result is sorted by open_time with one row per open_time;
// where both have a candle the incoming one wins, so a later correction by
// Binance replaces the stored value. Neither input is modified or released;
// the caller releases the result.
func Merge(mem memory.Allocator, existing, incoming arrow.RecordBatch) (arrow.RecordBatch, MergeStats, error) {
	var st MergeStats
	batches := [2]arrow.RecordBatch{existing, incoming}
	var refs []rowRef
	for bi, rec := range batches {
		if rec == nil {
			continue
		}
		if !rec.Schema().Equal(Schema) {
			return nil, st, fmt.Errorf("merge: schema mismatch: %s", rec.Schema())
		}
		ts := rec.Column(idxOpenTime).(*array.Timestamp)
		for i := 0; i < ts.Len(); i++ {
			refs = append(refs, rowRef{openTime: int64(ts.Value(i)), batch: bi, row: i})
		}
		if bi == 0 {
			st.Existing = ts.Len()
		} else {
			st.Incoming = ts.Len()
		}
	}
	// Stable sort keeps existing before incoming for equal open times, so
	// the last entry of each run is the winner.
	slices.SortStableFunc(refs, func(a, b rowRef) int {
		switch {
		case a.openTime < b.openTime:
			return -1
		case a.openTime > b.openTime:
			return 1
		}
		return 0
	})

	b := NewBuilder(mem, "")
	defer b.Release()
	b.Reserve(len(refs))
	for i := 0; i < len(refs); i++ {
		j := i
		for j+1 < len(refs) && refs[j+1].openTime == refs[i].openTime {
			j++
		}
		win := refs[j]
		hadExisting := refs[i].batch == 0
		if !hadExisting {
			st.Added++
		} else if win.batch == 1 && rowAt(batches[1], win.row) != rowAt(batches[0], refs[i].row) {
			st.Replaced++
		}
		b.appendUnchecked(rowAt(batches[win.batch], win.row))
		i = j
	}
	rec := b.NewRecord()
	st.Rows = int(rec.NumRows())
	return rec, st, nil
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
