package transform

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// barAcc is one bar being built.
type barAcc struct {
	firstID, lastID            int64
	open, firstTime, lastTime  int64 // µs
	o, h, l, c                 float64
	vol, quote, takerB, takerQ float64
	trades                     int64
}

// TradeBarBuilder folds trades, in id order across any number of batches
// and files, into bars of a BarSpec. A volume or dollar bar closes on the
// trade that brings its base (volume) or quote (dollar) amount to the
// threshold; a time bar closes at the end of its interval. The bar still
// open when the input ends is carried, never emitted: the next input (the
// next day, the next run) completes it, so bars come out the same whether
// built in one pass or day by day. COIN-M: volume is the contracts (qty)
// and quote the base amount (base_qty), as in COIN-M klines.
type TradeBarBuilder struct {
	spec   BarSpec
	every  int64 // µs, time bars
	cur    barAcc
	has    bool
	lastID int64
	out    []barAcc
	// skipBefore drops trades with a smaller id (those before a carried
	// bar's first trade in the files read to rebuild it).
	skipBefore int64
}

// NewTradeBarBuilder returns a builder of spec's bars.
func NewTradeBarBuilder(spec BarSpec) *TradeBarBuilder {
	return &TradeBarBuilder{spec: spec, every: spec.Every.Microseconds(), lastID: math.MinInt64}
}

// StartAt makes the builder ignore trades before id: the first trade of
// the bar carried into the input.
func (b *TradeBarBuilder) StartAt(id int64) { b.skipBefore = id }

// Add takes a batch of trades of any market's schema, sorted by id.
func (b *TradeBarBuilder) Add(rec arrow.RecordBatch) error {
	if rec.NumCols() < 6 || rec.Schema().Field(tIdxID).Name != ColID {
		return fmt.Errorf("trade bars: source batch is not trades: %s", rec.Schema())
	}
	ids := rec.Column(tIdxID).(*array.Int64).Int64Values()
	price := rec.Column(tIdxPrice).(*array.Float64).Float64Values()
	qty := rec.Column(tIdxQty).(*array.Float64).Float64Values()
	quote := rec.Column(tIdxQuoteQty).(*array.Float64).Float64Values()
	ts := rec.Column(tIdxTime).(*array.Timestamp)
	maker := rec.Column(tIdxBuyerMaker).(*array.Boolean)
	for i, id := range ids {
		if id < b.skipBefore {
			continue
		}
		if id <= b.lastID {
			return fmt.Errorf("trade bars: trade %d follows trade %d: trades out of order", id, b.lastID)
		}
		b.lastID = id
		at := int64(ts.Value(i))
		if b.spec.Kind == BarTime {
			open := floorDiv(at, b.every) * b.every
			if b.has && open != b.cur.open {
				b.emit()
			}
			if !b.has {
				b.start(id, open, at, price[i])
			}
		} else if !b.has {
			b.start(id, at, at, price[i])
		}
		a := &b.cur
		a.lastID, a.lastTime = id, at
		a.h, a.l, a.c = max(a.h, price[i]), min(a.l, price[i]), price[i]
		a.vol += qty[i]
		a.quote += quote[i]
		if !maker.Value(i) {
			a.takerB += qty[i]
			a.takerQ += quote[i]
		}
		a.trades++
		switch {
		case b.spec.Kind == BarVolume && a.vol >= b.spec.Threshold,
			b.spec.Kind == BarDollar && a.quote >= b.spec.Threshold:
			b.emit()
		}
	}
	return nil
}

func (b *TradeBarBuilder) start(id, open, at int64, price float64) {
	b.cur = barAcc{firstID: id, open: open, firstTime: at, o: price, h: price, l: price}
	b.has = true
}

func (b *TradeBarBuilder) emit() {
	b.out = append(b.out, b.cur)
	b.has = false
}

// EndInput says the trades up to endUs (exclusive, µs) are all in: a time
// bar ending by then is complete and emitted.
func (b *TradeBarBuilder) EndInput(endUs int64) {
	if b.has && b.spec.Kind == BarTime && b.cur.open+b.every <= endUs {
		b.emit()
	}
}

// Carried returns the id and time (µs) of the first trade of the bar
// still open, if any.
func (b *TradeBarBuilder) Carried() (id, at int64, ok bool) {
	return b.cur.firstID, b.cur.firstTime, b.has
}

// NewRecord returns the bars emitted (TradeBarSchema) and resets them.
func (b *TradeBarBuilder) NewRecord(mem memory.Allocator) arrow.RecordBatch {
	rb := array.NewRecordBuilder(mem, TradeBarSchema)
	defer rb.Release()
	in := func(i int) *array.Int64Builder { return rb.Field(i).(*array.Int64Builder) }
	ts := func(i int) *array.TimestampBuilder { return rb.Field(i).(*array.TimestampBuilder) }
	fl := func(i int) *array.Float64Builder { return rb.Field(i).(*array.Float64Builder) }
	for _, a := range b.out {
		in(0).Append(a.firstID)
		in(1).Append(a.lastID)
		ts(2).Append(arrow.Timestamp(a.open))
		ts(3).Append(arrow.Timestamp(a.firstTime))
		ts(4).Append(arrow.Timestamp(a.lastTime))
		fl(5).Append(a.o)
		fl(6).Append(a.h)
		fl(7).Append(a.l)
		fl(8).Append(a.c)
		fl(9).Append(a.vol)
		fl(10).Append(a.quote)
		in(11).Append(a.trades)
		if a.vol > 0 {
			fl(12).Append(a.quote / a.vol)
		} else {
			fl(12).Append(a.c)
		}
		fl(13).Append(a.takerB)
		fl(14).Append(a.takerQ)
	}
	b.out = b.out[:0]
	return rb.NewRecordBatch()
}
