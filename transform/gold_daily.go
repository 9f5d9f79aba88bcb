package transform

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Column names of the gold daily summary (SPEC section 9).
const (
	ColDay                = "day"
	ColVWAP               = "vwap"
	ColReturn             = "return"
	ColRealizedVolatility = "realized_volatility"
	ColMissingMinutes     = "missing_minutes"
	ColFundingRateSum     = "funding_rate_sum"
)

// DailySummarySchema is one row per market/symbol/UTC day, from 1m klines:
// open/high/low/close of the day, vwap (quote volume / volume), volume,
// quote volume, trades, return against the previous day's close (null
// when that day is not stored), realized volatility (the square root of
// the sum of squared 1m log returns, close to close, the first minute's
// from its open), the minutes of the day without a stored candle, and on
// futures the sum of the day's funding rates (null where no funding_rate
// is stored for the day, and on spot).
var DailySummarySchema = arrow.NewSchema([]arrow.Field{
	{Name: ColDay, Type: timestampMs},
	{Name: ColOpen, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColHigh, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColLow, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColClose, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColVWAP, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColVolume, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColQuoteVolume, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColTrades, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColReturn, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: ColRealizedVolatility, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColMissingMinutes, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColFundingRateSum, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// DailySummaryData is the gold daily summary, one file per UTC year.
var DailySummaryData = &Dataset{
	Name:      "daily_summary",
	Layer:     LayerGold,
	Markets:   []string{"spot", "usdm", "coinm"},
	Key:       ColDay,
	Time:      ColDay,
	TimeUnit:  arrow.Millisecond,
	YearFiles: true,
	schema:    func(string) *arrow.Schema { return DailySummarySchema },
	check:     newDailyChecker,
}

type dayAcc struct {
	day                 int64
	o, h, l, c          float64
	vol, quote, sumSqLR float64
	trades, minutes     int64
	prevClose           float64 // close of the previous day, NaN if not stored
}

// DailyBuilder folds 1m klines, oldest first, into the summaries of the
// days in [from, to); it reads the day before from to know its close.
type DailyBuilder struct {
	from, to int64
	cur      dayAcc
	has      bool
	last     int64
	lastDay  int64   // day of the last candle taken, whether in range or not
	dayClose float64 // close of the last candle taken
	out      []dayAcc
	funding  map[int64]float64 // day -> sum of its funding rates
}

// NewDailyBuilder returns a builder of the days in [from, to) (ms, whole days).
func NewDailyBuilder(from, to int64) *DailyBuilder {
	return &DailyBuilder{from: from, to: to, last: math.MinInt64, lastDay: math.MinInt64}
}

// DailyInputs is the range of 1m open times the days in [from, to) are
// built from: the day before too, for the first day's return.
func DailyInputs(from, to int64) (start, end int64) { return from - dayMs, to }

// AddFunding takes a batch of funding_rate rows (FundingRateSchema): their
// rates are summed per UTC day of funding_time.
func (b *DailyBuilder) AddFunding(rec arrow.RecordBatch) error {
	if !SameFields(FundingRateSchema, rec.Schema()) {
		return fmt.Errorf("daily summary: funding batch is not funding_rate: %s", rec.Schema())
	}
	if b.funding == nil {
		b.funding = map[int64]float64{}
	}
	ft := rec.Column(fIdxFundingTime).(*array.Timestamp)
	rate := rec.Column(fIdxRate).(*array.Float64)
	for i := 0; i < int(rec.NumRows()); i++ {
		day := floorDiv(int64(ft.Value(i)), dayMs) * dayMs
		b.funding[day] += rate.Value(i)
	}
	return nil
}

// Add takes a batch of 1m klines (Schema), sorted by open_time.
func (b *DailyBuilder) Add(rec arrow.RecordBatch) error {
	if !Conforms(rec.Schema()) {
		return fmt.Errorf("daily summary: source batch is not klines: %s", rec.Schema())
	}
	ts := rec.Column(idxOpenTime).(*array.Timestamp)
	f := func(i int) []float64 { return rec.Column(i).(*array.Float64).Float64Values() }
	o, h, l, c, v, q := f(idxOpen), f(idxHigh), f(idxLow), f(idxClose), f(idxVolume), f(idxQuoteVolume)
	tr := rec.Column(idxTrades).(*array.Int64).Int64Values()
	for i := 0; i < int(rec.NumRows()); i++ {
		at := int64(ts.Value(i))
		if at <= b.last {
			return fmt.Errorf("daily summary: source candles out of order at %s", time.UnixMilli(at).UTC().Format(time.RFC3339))
		}
		b.last = at
		day := floorDiv(at, dayMs) * dayMs
		if day != b.lastDay && b.lastDay != math.MinInt64 {
			b.flush()
		}
		prevDay, prevClose := b.lastDay, b.dayClose
		b.lastDay, b.dayClose = day, c[i]
		if day < b.from || day >= b.to {
			continue
		}
		if !b.has {
			b.cur = dayAcc{day: day, o: o[i], h: h[i], l: l[i], prevClose: math.NaN()}
			if prevDay == day-dayMs {
				b.cur.prevClose = prevClose
			}
			b.has = true
			b.cur.sumSqLR += sq(math.Log(c[i] / o[i]))
		} else {
			b.cur.sumSqLR += sq(math.Log(c[i] / b.cur.c))
		}
		a := &b.cur
		a.h, a.l, a.c = max(a.h, h[i]), min(a.l, l[i]), c[i]
		a.vol += v[i]
		a.quote += q[i]
		a.trades += tr[i]
		a.minutes++
	}
	return nil
}

func sq(x float64) float64 { return x * x }

func (b *DailyBuilder) flush() {
	if b.has {
		b.out = append(b.out, b.cur)
		b.has = false
	}
}

// NewRecord returns the days built (DailySummarySchema) and resets.
func (b *DailyBuilder) NewRecord(mem memory.Allocator) arrow.RecordBatch {
	b.flush()
	rb := array.NewRecordBuilder(mem, DailySummarySchema)
	defer rb.Release()
	fl := func(i int) *array.Float64Builder { return rb.Field(i).(*array.Float64Builder) }
	in := func(i int) *array.Int64Builder { return rb.Field(i).(*array.Int64Builder) }
	for _, a := range b.out {
		rb.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(a.day))
		fl(1).Append(a.o)
		fl(2).Append(a.h)
		fl(3).Append(a.l)
		fl(4).Append(a.c)
		if a.vol > 0 {
			fl(5).Append(a.quote / a.vol)
		} else {
			fl(5).Append(a.c)
		}
		fl(6).Append(a.vol)
		fl(7).Append(a.quote)
		in(8).Append(a.trades)
		if math.IsNaN(a.prevClose) || a.prevClose == 0 {
			fl(9).AppendNull()
		} else {
			fl(9).Append(a.c/a.prevClose - 1)
		}
		fl(10).Append(math.Sqrt(a.sumSqLR))
		in(11).Append(1440 - a.minutes)
		if sum, ok := b.funding[a.day]; ok {
			fl(12).Append(sum)
		} else {
			fl(12).AppendNull()
		}
	}
	b.out = b.out[:0]
	return rb.NewRecordBatch()
}

// dailyChecker checks daily summaries: days sorted, unique, at midnight,
// OHLC sane, missing minutes within a day.
type dailyChecker struct {
	rowsOnly
	last int64
	seen bool
}

func newDailyChecker(CheckScope) SeriesChecker { return &dailyChecker{} }

func (c *dailyChecker) Check(rec arrow.RecordBatch) []Problem {
	if p := schemaProblem(DailySummarySchema, rec); p != nil {
		return p
	}
	ts := rec.Column(0).(*array.Timestamp)
	f := func(i int) *array.Float64 { return rec.Column(i).(*array.Float64) }
	o, h, l, cl := f(1), f(2), f(3), f(4)
	missing := rec.Column(11).(*array.Int64)
	var out []Problem
	for i := 0; i < int(rec.NumRows()); i++ {
		at := int64(ts.Value(i))
		switch {
		case c.seen && at <= c.last:
			out = append(out, Problem{Kind: ProblemUnsorted, OpenTime: at, Detail: "day stored twice or out of order"})
		case at%dayMs != 0:
			out = append(out, Problem{Kind: "grid", OpenTime: at, Detail: "not midnight UTC"})
		}
		c.last, c.seen = max(c.last, at), true
		if p, bad := ohlcProblem(at, o.Value(i), h.Value(i), l.Value(i), cl.Value(i)); bad {
			p.IDs = nil
			out = append(out, p)
		}
		if m := missing.Value(i); m < 0 || m >= 1440 {
			out = append(out, Problem{Kind: "missing_minutes", OpenTime: at, Detail: fmt.Sprintf("missing_minutes %d, want 0..1439", m)})
		}
	}
	return out
}
