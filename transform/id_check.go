package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Problem kinds of id-keyed datasets (trades, agg_trades).
const (
	ProblemIDGap     = "id_gap"     // ids missing between two stored rows
	ProblemTimeOrder = "time_order" // a row older than the row before it
	ProblemAggChain  = "agg_chain"  // first_trade_id != previous last_trade_id + 1
	ProblemMisfiled  = "misfiled"
)

// idSeq is the continuity rule of a series keyed by a Binance id: ids
// strictly increasing (a repeated id is a duplicate, a smaller one an
// unsorted row), contiguous (every gap reported with its id range and the
// times around it), times never decreasing. Gaps are reported, never
// filled: Binance's futures trade ids skip values of their own, and only
// the 1m klines cross-check tells whether a trade is missing.
type idSeq struct {
	what    string // "trade", "agg trade"
	gapNote string // appended to gap details
	schema  *arrow.Schema
	timeCol int
	scope   CheckScope

	seen             bool
	lastID, lastTime int64 // µs
	cap              capped
}

// batch returns the id and time columns of rec, or a schema problem.
func (c *idSeq) batch(rec arrow.RecordBatch) (ids []int64, times []arrow.Timestamp, p *Problem) {
	if !SameFields(c.schema, rec.Schema()) {
		return nil, nil, &Problem{Kind: "schema", Detail: rec.Schema().String()}
	}
	return rec.Column(0).(*array.Int64).Int64Values(), rec.Column(c.timeCol).(*array.Timestamp).TimestampValues(), nil
}

// next checks one row and reports whether it continues the sequence (a
// duplicate or unsorted row does not, and is not the "previous row" of
// the next one).
func (c *idSeq) next(out []Problem, id, us int64) ([]Problem, bool) {
	if !c.seen {
		c.lastID, c.lastTime, c.seen = id, us, true
		return out, true
	}
	switch {
	case id == c.lastID:
		return c.cap.add(out, Problem{Kind: ProblemDuplicate, OpenTime: floorDiv(us, 1000), IDs: []int64{id},
			Detail: fmt.Sprintf("%s %d stored twice (at %s)", c.what, id, micros(us))}), false
	case id < c.lastID:
		return c.cap.add(out, Problem{Kind: ProblemUnsorted, OpenTime: floorDiv(us, 1000), IDs: []int64{id},
			Detail: fmt.Sprintf("%s %d at %s follows %s %d", c.what, id, micros(us), c.what, c.lastID)}), false
	}
	if id > c.lastID+1 && c.scope.overlaps(floorDiv(c.lastTime, 1000), floorDiv(us, 1000)) {
		lo, hi := c.lastID+1, id-1
		out = c.cap.add(out, Problem{Kind: ProblemIDGap, OpenTime: floorDiv(c.lastTime, 1000), Until: floorDiv(us, 1000), IDs: []int64{lo, hi},
			Detail: fmt.Sprintf("%s ids %d..%d missing (%d) between %s and %s%s", c.what, lo, hi, hi-lo+1, micros(c.lastTime), micros(us), c.gapNote)})
	}
	if us < c.lastTime {
		out = c.cap.add(out, Problem{Kind: ProblemTimeOrder, OpenTime: floorDiv(us, 1000), IDs: []int64{id},
			Detail: fmt.Sprintf("%s %d at %s is older than %s %d at %s", c.what, id, micros(us), c.what, c.lastID, micros(c.lastTime))})
	}
	c.lastID, c.lastTime = id, us
	return out, true
}
