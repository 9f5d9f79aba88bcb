package transform

import (
	"cmp"
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

// Merge combines the stored rows (existing, may be nil) with new rows
// (incoming): the result is sorted by open_time with one row per open_time;
// where both have a candle the incoming one wins, so a later correction by
// Binance replaces the stored value (Replaced counts rows whose bytes change).
// Within one input the last row of an open_time wins. Neither input is
// modified or released; the caller releases the result.
//
// The merge works on whole columns (every klines column is 8 bytes wide) and
// does not copy at all when there is nothing stored and the new rows are
// already sorted, the usual case of a backfill.
func Merge(mem memory.Allocator, existing, incoming arrow.RecordBatch) (arrow.RecordBatch, MergeStats, error) {
	var st MergeStats
	for _, rec := range [...]arrow.RecordBatch{existing, incoming} {
		if rec != nil && !rec.Schema().Equal(Schema) {
			return nil, st, fmt.Errorf("merge: schema mismatch: %s", rec.Schema())
		}
	}
	var ex, in mergeSide
	if existing != nil {
		ex = newMergeSide(existing)
	}
	if incoming != nil {
		in = newMergeSide(incoming)
	}
	st.Existing, st.Incoming = ex.n, in.n
	if ex.len() == 0 && in.order == nil && incoming != nil {
		st.Added, st.Rows = in.n, in.n
		incoming.Retain()
		return incoming, st, nil
	}
	if in.len() == 0 && ex.order == nil && existing != nil {
		st.Rows = ex.n
		existing.Retain()
		return existing, st, nil
	}

	// pick lists the result's rows: r >= 0 is row r of existing, ^r row r
	// of incoming.
	pick := make([]int32, 0, ex.len()+in.len())
	i, j := 0, 0
	for i < ex.len() || j < in.len() {
		switch {
		case j == in.len() || i < ex.len() && ex.openTime(i) < in.openTime(j):
			pick = append(pick, int32(ex.row(i)))
			i++
		case i == ex.len() || in.openTime(j) < ex.openTime(i):
			pick = append(pick, ^int32(in.row(j)))
			st.Added++
			j++
		default: // the same candle in both: incoming wins
			if !sameRow(ex, ex.row(i), in, in.row(j)) {
				st.Replaced++
			}
			pick = append(pick, ^int32(in.row(j)))
			i++
			j++
		}
	}
	var bufs [numColumns]*memory.Buffer
	for c := range bufs {
		bufs[c] = memory.NewResizableBuffer(mem)
		bufs[c].Resize(len(pick) * 8)
		dst := arrow.Uint64Traits.CastFromBytes(bufs[c].Bytes())
		exv, inv := ex.cols[c], in.cols[c]
		for k, p := range pick {
			if p >= 0 {
				dst[k] = exv[p]
			} else {
				dst[k] = inv[^p]
			}
		}
	}
	st.Rows = len(pick)
	return recordOf(bufs, len(pick)), st, nil
}

// mergeSide is one input of a merge: its columns as raw 8-byte values and
// the order of its rows by open time.
type mergeSide struct {
	n     int
	cols  [numColumns][]uint64
	order []int32 // sorted unique rows; nil when the rows already are
}

func newMergeSide(rec arrow.RecordBatch) mergeSide {
	s := mergeSide{n: int(rec.NumRows())}
	if s.n == 0 {
		return s
	}
	for c := range s.cols {
		d := rec.Column(c).Data()
		v := arrow.Uint64Traits.CastFromBytes(d.Buffers()[1].Bytes())
		s.cols[c] = v[d.Offset() : d.Offset()+d.Len()]
	}
	ts := s.cols[idxOpenTime]
	for i := 1; i < len(ts); i++ {
		if int64(ts[i]) <= int64(ts[i-1]) {
			s.order = sortedUnique(ts)
			break
		}
	}
	return s
}

// sortedUnique orders rows by open time, keeping the last row of each time.
func sortedUnique(ts []uint64) []int32 {
	order := make([]int32, len(ts))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(int64(ts[a]), int64(ts[b])) })
	out := order[:0]
	for k, r := range order {
		if k+1 < len(order) && ts[order[k+1]] == ts[r] {
			continue // a later row has the same open time
		}
		out = append(out, r)
	}
	return out
}

func (s *mergeSide) len() int {
	if s.order != nil {
		return len(s.order)
	}
	return s.n
}

// row is the batch row at sorted position i.
func (s *mergeSide) row(i int) int {
	if s.order != nil {
		return int(s.order[i])
	}
	return i
}

func (s *mergeSide) openTime(i int) int64 { return int64(s.cols[idxOpenTime][s.row(i)]) }

// sameRow compares two rows bit for bit.
func sameRow(a mergeSide, i int, b mergeSide, j int) bool {
	for c := range a.cols {
		if a.cols[c][i] != b.cols[c][j] {
			return false
		}
	}
	return true
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
