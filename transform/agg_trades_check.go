package transform

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// aggTradesChecker checks an agg_trades series (AggTradesData.Checker):
// agg_trade_id as idSeq, first_trade_id <= last_trade_id, and the chain of
// trades: every aggregate starts with the trade after the previous one's
// last (first_trade_id = previous last_trade_id + 1), across files too.
type aggTradesChecker struct {
	idSeq
	chained  bool
	lastLast int64 // last_trade_id of the previous aggregate
}

func newAggTradesChecker(s CheckScope) SeriesChecker {
	sc, err := AggTradesSchema(s.Market)
	if err != nil {
		panic(err)
	}
	return &aggTradesChecker{idSeq: idSeq{what: "agg trade", schema: sc, timeCol: aIdxTime, scope: s}}
}

func (c *aggTradesChecker) StartFile(FileInfo) {}
func (c *aggTradesChecker) EndFile() []Problem { return c.cap.summary() }
func (c *aggTradesChecker) Close()             {}

func (c *aggTradesChecker) Check(rec arrow.RecordBatch) []Problem {
	ids, times, p := c.batch(rec)
	if p != nil {
		return []Problem{*p}
	}
	first := rec.Column(aIdxFirst).(*array.Int64).Int64Values()
	last := rec.Column(aIdxLast).(*array.Int64).Int64Values()
	var out []Problem
	for i, id := range ids {
		us := int64(times[i])
		prevTime := c.lastTime
		var ok bool
		if out, ok = c.next(out, id, us); !ok {
			continue
		}
		f, l := first[i], last[i]
		if f > l {
			out = c.cap.add(out, Problem{Kind: ErrTradeRange, OpenTime: floorDiv(us, 1000), IDs: []int64{id},
				Detail: fmt.Sprintf("agg trade %d at %s: first trade %d after last trade %d", id, micros(us), f, l)})
		}
		if c.chained && f != c.lastLast+1 && c.scope.overlaps(floorDiv(prevTime, 1000), floorDiv(us, 1000)) {
			lo, hi, what := c.lastLast+1, f-1, "in no aggregate"
			if f <= c.lastLast {
				lo, hi, what = f, c.lastLast, "in two aggregates"
			}
			out = c.cap.add(out, Problem{Kind: ProblemAggChain, OpenTime: floorDiv(prevTime, 1000), Until: floorDiv(us, 1000), IDs: []int64{lo, hi},
				Detail: fmt.Sprintf("agg trade %d starts at trade %d, the one before it ended at trade %d: trades %d..%d are %s; between %s and %s",
					id, f, c.lastLast, lo, hi, what, micros(prevTime), micros(us))})
		}
		c.lastLast, c.chained = l, true
	}
	return out
}

// ProblemAggMismatch is an aggregate trade its trades do not add up to.
const ProblemAggMismatch = "agg_mismatch"

// tradesCrossCheck compares an agg_trades series with the trades of the
// same market and symbol: every trade first_trade_id..last_trade_id is
// stored, has the aggregate's price, and their qty sums to the
// aggregate's (1e-9 relative). Aggregates whose trade ids are outside the
// stored trades' first and last id are not compared. Both series are
// sorted by id, so the trades are streamed forward alongside the
// aggregates, jumping to the aggregate's day where trades start later.
type tradesCrossCheck struct {
	scope CheckScope
	ext   Extent
	extOK bool
	file  FileInfo
	cur   tradeCursor
	cap   capped
}

func newTradesCrossCheck(ref Reference, s CheckScope) SeriesChecker {
	c := &tradesCrossCheck{scope: s, cur: tradeCursor{ref: ref, periods: ref.Periods()}}
	c.ext, c.extOK = ref.Extent()
	return c
}

func (c *tradesCrossCheck) StartFile(f FileInfo) { c.file = f }
func (c *tradesCrossCheck) EndFile() []Problem   { return c.cap.summary() }
func (c *tradesCrossCheck) Close()               { c.cur.close() }

func (c *tradesCrossCheck) Check(rec arrow.RecordBatch) []Problem {
	if !c.extOK || rec.NumCols() <= aIdxTime {
		return nil
	}
	ids, ok0 := rec.Column(aIdxID).(*array.Int64)
	price, ok1 := rec.Column(aIdxPrice).(*array.Float64)
	qty, ok2 := rec.Column(aIdxQty).(*array.Float64)
	first, ok3 := rec.Column(aIdxFirst).(*array.Int64)
	last, ok4 := rec.Column(aIdxLast).(*array.Int64)
	ts, ok5 := rec.Column(aIdxTime).(*array.Timestamp)
	if !ok0 || !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return nil // the agg_trades checker reports the schema
	}
	var out []Problem
	c.cur.jump(c.file.Period)
	for i := range int(rec.NumRows()) {
		f, l, ms := first.Value(i), last.Value(i), floorDiv(int64(ts.Value(i)), 1000)
		if f > l || f < c.ext.FirstKey || l > c.ext.LastKey ||
			c.scope.From != 0 && ms < c.scope.From || c.scope.To != 0 && ms >= c.scope.To {
			continue
		}
		diff, err := c.cur.compare(f, l, price.Value(i), qty.Value(i))
		if err != nil {
			return append(out, Problem{Kind: "unreadable", Detail: fmt.Sprintf("agg_trades cross-check: %v", err)})
		}
		if diff != "" {
			id := ids.Value(i)
			out = c.cap.add(out, Problem{Kind: ProblemAggMismatch, OpenTime: ms, IDs: []int64{id},
				Detail: fmt.Sprintf("agg trade %d (trades %d..%d) at %s disagrees with its trades: %s", id, f, l, micros(int64(ts.Value(i))), diff)})
		}
	}
	return out
}

// tradeCursor reads a trades series forward, file by file.
type tradeCursor struct {
	ref     Reference
	periods []string
	i       int // index in periods of the file being read
	rr      array.RecordReader
	ids     []int64
	price   []float64
	qty     []float64
	row     int
}

// jump moves to the first file of period or later when the cursor is
// before it: the trades of earlier days are not needed.
func (t *tradeCursor) jump(period string) {
	for j := t.i; j < len(t.periods) && t.periods[j] < period; j++ {
		t.close()
		t.i = j + 1
	}
}

// peek makes sure a row is unread; ok is false at the end of the series.
func (t *tradeCursor) peek() (bool, error) {
	for t.row >= len(t.ids) {
		if t.rr == nil {
			if t.i >= len(t.periods) {
				return false, nil
			}
			rr, err := t.ref.Open(t.periods[t.i])
			if err != nil {
				t.i++
				return false, err
			}
			if rr == nil {
				t.i++
				continue
			}
			t.rr = rr
		}
		if !t.rr.Next() {
			err := t.rr.Err()
			t.close()
			t.i++
			if err != nil {
				return false, fmt.Errorf("%s: %w", t.ref.File(t.periods[t.i-1]), err)
			}
			continue
		}
		rec := t.rr.RecordBatch()
		id, ok0 := rec.Column(tIdxID).(*array.Int64)
		p, ok1 := rec.Column(tIdxPrice).(*array.Float64)
		q, ok2 := rec.Column(tIdxQty).(*array.Float64)
		if !ok0 || !ok1 || !ok2 {
			t.close()
			t.i++
			continue // the trades checker reports the schema
		}
		t.ids, t.price, t.qty, t.row = id.Int64Values(), p.Float64Values(), q.Float64Values(), 0
	}
	return true, nil
}

// compare reads the trades first..last and says how they disagree with an
// aggregate of price and qty, "" if not.
func (t *tradeCursor) compare(first, last int64, price, qty float64) (string, error) {
	var n, badID int64 = 0, -1
	var sum, badPrice float64
	for {
		ok, err := t.peek()
		if err != nil {
			return "", err
		}
		if !ok || t.ids[t.row] > last {
			break
		}
		if id := t.ids[t.row]; id >= first {
			n++
			sum += t.qty[t.row]
			if t.price[t.row] != price && badID < 0 {
				badID, badPrice = id, t.price[t.row]
			}
		}
		t.row++
	}
	var d []string
	if want := last - first + 1; n != want {
		d = append(d, fmt.Sprintf("%d of its %d trades stored", n, want))
	}
	if badID >= 0 {
		d = append(d, fmt.Sprintf("trade %d has price %v, the aggregate %v", badID, badPrice, price))
	}
	if n > 0 && math.Abs(sum-qty) > relTolerance*max(math.Abs(sum), math.Abs(qty)) {
		d = append(d, fmt.Sprintf("qty %v, its trades sum to %v", qty, sum))
	}
	return strings.Join(d, "; "), nil
}

func (t *tradeCursor) close() {
	if t.rr != nil {
		t.rr.Release()
	}
	t.rr, t.ids, t.price, t.qty, t.row = nil, nil, nil, nil, 0
}
