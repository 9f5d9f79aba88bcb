package transform

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ColInputRows counts the silver candles a gold candle was built from, so
// a candle built over a gap is visible (SPEC section 9).
const ColInputRows = "input_rows"

// CandleSchema is the gold candles table: the klines columns and
// input_rows.
var CandleSchema = arrow.NewSchema(append(Schema.Fields(), arrow.Field{Name: ColInputRows, Type: arrow.PrimitiveTypes.Int64}), nil)

// CandlesData is the gold layer's candles: any interval, Binance's or
// custom (10m, 45m, 2d, ...), built from 1m silver klines (1s for
// sub-minute targets). One series per interval, files cut like klines.
var CandlesData = &Dataset{
	Name:      "candles",
	Layer:     LayerGold,
	Markets:   []string{"spot", "usdm", "coinm"},
	Intervals: true,
	Key:       ColOpenTime,
	Time:      ColOpenTime,
	TimeUnit:  arrow.Millisecond,
	schema:    func(string) *arrow.Schema { return CandleSchema },
	check:     newCandleChecker,
}

// CandleSource is the silver interval gold candles of iv are built from:
// 1s for sub-minute targets, 1m otherwise.
func CandleSource(iv Interval) Interval {
	if iv.subMinute() {
		return "1s"
	}
	return "1m"
}

// CandleInputs is the range of source open times [start, end) the candles
// of iv opening in [from, to) are built from.
func CandleInputs(iv Interval, from, to int64) (start, end int64) {
	first := iv.Ceil(time.UnixMilli(from))
	last := iv.Floor(time.UnixMilli(to - 1))
	return first, iv.Next(last)
}

// candleAcc is one candle being built.
type candleAcc struct {
	open                           int64
	o, h, l, c                     float64
	vol, quote, takerBase, takerQt float64
	trades, rows                   int64
}

// CandleBuilder folds source candles, oldest first (in any number of
// batches), into candles of iv whose open time lies in [from, to). A
// candle exists only where some source candle does.
type CandleBuilder struct {
	iv       Interval
	from, to int64
	cur      candleAcc
	has      bool
	last     int64 // open time of the last source candle taken
	out      []candleAcc
}

// NewCandleBuilder returns a builder of the candles of iv opening in [from, to).
func NewCandleBuilder(iv Interval, from, to int64) *CandleBuilder {
	return &CandleBuilder{iv: iv, from: from, to: to, last: math.MinInt64}
}

// Add takes a batch of source klines (Schema), sorted by open_time.
func (b *CandleBuilder) Add(rec arrow.RecordBatch) error {
	if !Conforms(rec.Schema()) {
		return fmt.Errorf("candles: source batch is not klines: %s", rec.Schema())
	}
	ts := rec.Column(idxOpenTime).(*array.Timestamp)
	f := func(i int) []float64 { return rec.Column(i).(*array.Float64).Float64Values() }
	o, h, l, c, v, q, tb, tq := f(idxOpen), f(idxHigh), f(idxLow), f(idxClose), f(idxVolume), f(idxQuoteVolume), f(idxTakerBase), f(idxTakerQuote)
	tr := rec.Column(idxTrades).(*array.Int64).Int64Values()
	for i := 0; i < int(rec.NumRows()); i++ {
		at := int64(ts.Value(i))
		if at <= b.last {
			return fmt.Errorf("candles: source candles out of order at %s", time.UnixMilli(at).UTC().Format(time.RFC3339))
		}
		b.last = at
		open := b.iv.Floor(time.UnixMilli(at))
		if open < b.from || open >= b.to {
			continue
		}
		if !b.has || open != b.cur.open {
			b.flush()
			b.cur = candleAcc{open: open, o: o[i], h: h[i], l: l[i]}
			b.has = true
		}
		a := &b.cur
		a.h, a.l, a.c = max(a.h, h[i]), min(a.l, l[i]), c[i]
		a.vol += v[i]
		a.quote += q[i]
		a.takerBase += tb[i]
		a.takerQt += tq[i]
		a.trades += tr[i]
		a.rows++
	}
	return nil
}

func (b *CandleBuilder) flush() {
	if b.has {
		b.out = append(b.out, b.cur)
		b.has = false
	}
}

// Len is the number of candles built so far.
func (b *CandleBuilder) Len() int {
	if b.has {
		return len(b.out) + 1
	}
	return len(b.out)
}

// NewRecord returns the candles built (CandleSchema) and resets.
func (b *CandleBuilder) NewRecord(mem memory.Allocator) arrow.RecordBatch {
	b.flush()
	rb := array.NewRecordBuilder(mem, CandleSchema)
	defer rb.Release()
	ts := func(i int) *array.TimestampBuilder { return rb.Field(i).(*array.TimestampBuilder) }
	fl := func(i int) *array.Float64Builder { return rb.Field(i).(*array.Float64Builder) }
	in := func(i int) *array.Int64Builder { return rb.Field(i).(*array.Int64Builder) }
	for _, a := range b.out {
		ts(idxOpenTime).Append(arrow.Timestamp(a.open))
		fl(idxOpen).Append(a.o)
		fl(idxHigh).Append(a.h)
		fl(idxLow).Append(a.l)
		fl(idxClose).Append(a.c)
		fl(idxVolume).Append(a.vol)
		ts(idxCloseTime).Append(arrow.Timestamp(b.iv.CloseTime(a.open)))
		fl(idxQuoteVolume).Append(a.quote)
		in(idxTrades).Append(a.trades)
		fl(idxTakerBase).Append(a.takerBase)
		fl(idxTakerQuote).Append(a.takerQt)
		in(numColumns).Append(a.rows)
	}
	b.out = b.out[:0]
	return rb.NewRecordBatch()
}

// candleChecker checks gold candles: sorted and unique on the grid of
// their interval, OHLC sane, input_rows between 1 and the source candles
// the interval holds. Gaps are not problems: a gold candle exists only
// where silver has input (verify of the silver series reports those).
type candleChecker struct {
	rowsOnly
	iv   Interval
	last int64
	seen bool
}

func newCandleChecker(s CheckScope) SeriesChecker { return &candleChecker{iv: s.Interval} }

func (c *candleChecker) Check(rec arrow.RecordBatch) []Problem {
	if p := schemaProblem(CandleSchema, rec); p != nil {
		return p
	}
	ts := rec.Column(idxOpenTime).(*array.Timestamp)
	f := func(i int) *array.Float64 { return rec.Column(i).(*array.Float64) }
	o, h, l, cl := f(idxOpen), f(idxHigh), f(idxLow), f(idxClose)
	rows := rec.Column(numColumns).(*array.Int64)
	src := CandleSource(c.iv)
	var out []Problem
	for i := 0; i < int(rec.NumRows()); i++ {
		at := int64(ts.Value(i))
		switch {
		case c.seen && at == c.last:
			out = append(out, Problem{Kind: ProblemDuplicate, OpenTime: at, Detail: "open_time stored twice"})
		case c.seen && at < c.last:
			out = append(out, Problem{Kind: ProblemUnsorted, OpenTime: at, Detail: "follows " + time.UnixMilli(c.last).UTC().Format(time.RFC3339)})
		case !c.iv.Aligned(at):
			out = append(out, Problem{Kind: "grid", OpenTime: at, Detail: "not on the " + string(c.iv) + " grid"})
		}
		c.last, c.seen = max(c.last, at), true
		if p, bad := ohlcProblem(at, o.Value(i), h.Value(i), l.Value(i), cl.Value(i)); bad {
			p.IDs = nil
			out = append(out, p)
		}
		if n, most := rows.Value(i), src.Count(at, c.iv.Next(at)); n < 1 || n > most {
			out = append(out, Problem{Kind: "input_rows", OpenTime: at, Detail: fmt.Sprintf("input_rows %d, want 1..%d", n, most)})
		}
	}
	return out
}

// ohlcProblem reports a bar whose high or low does not bound its open,
// close and each other (gold checkers).
func ohlcProblem(at int64, o, h, l, c float64) (Problem, bool) {
	if h >= max(o, c, l) && l <= min(o, c) {
		return Problem{}, false
	}
	return Problem{Kind: "ohlc", OpenTime: at, Detail: fmt.Sprintf("open %v high %v low %v close %v", o, h, l, c)}, true
}

// rowsOnly is the part of a SeriesChecker that files do not concern: the
// gold checkers look at rows, in order, and at nothing per file.
type rowsOnly struct{}

func (rowsOnly) StartFile(FileInfo) {}
func (rowsOnly) EndFile() []Problem { return nil }
func (rowsOnly) Close()             {}

// schemaProblem is the problem of a batch without want's columns, or nil.
func schemaProblem(want *arrow.Schema, rec arrow.RecordBatch) []Problem {
	if SameFields(want, rec.Schema()) {
		return nil
	}
	return []Problem{{Kind: "schema", Detail: rec.Schema().String()}}
}
