package transform

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Column names of gold trade bars beside the klines ones.
const (
	ColFirstTradeTime = "first_trade_time"
	ColLastTradeTime  = "last_trade_time"
)

var timestampUs = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// TradeBarSchema is one bar built from trades: the time of its first and
// last trade (µs), OHLC, volume (base), quote volume, trades, vwap (quote
// volume / volume), taker buy volumes (trades whose buyer was not the
// maker), and the ids of its first and last trade.
var TradeBarSchema = arrow.NewSchema([]arrow.Field{
	{Name: ColFirstTradeID, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColLastTradeID, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColOpenTime, Type: timestampUs},
	{Name: ColFirstTradeTime, Type: timestampUs},
	{Name: ColLastTradeTime, Type: timestampUs},
	{Name: ColOpen, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColHigh, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColLow, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColClose, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColVolume, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColQuoteVolume, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColTrades, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColVWAP, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColTakerBuyBaseVolume, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColTakerBuyQuoteVolume, Type: arrow.PrimitiveTypes.Float64},
}, nil)

// TradeBarsData is the gold layer's bars from silver trades: time bars
// (any length from 1ms), volume bars and dollar bars, one series per bar
// spec (the bar= folder, e.g. bar=time-1s, bar=volume-50,
// bar=dollar-1000000), one file per UTC day of the bars' last trade.
var TradeBarsData = &Dataset{
	Name:       "trade_bars",
	Layer:      LayerGold,
	Variant:    "bar",
	Markets:    []string{"spot", "usdm", "coinm"},
	Intervals:  true,
	Key:        ColFirstTradeID,
	Time:       ColLastTradeTime,
	TimeUnit:   arrow.Microsecond,
	DailyFiles: true,
	schema:     func(string) *arrow.Schema { return TradeBarSchema },
	check:      newTradeBarChecker,
}

// Bar kinds of --bar.
const (
	BarTime   = "time"
	BarVolume = "volume"
	BarDollar = "dollar"
)

// BarSpec is one kind of trade bar: time bars of Every, or bars that close
// when the traded base (volume) or quote (dollar) amount reaches Threshold.
type BarSpec struct {
	Kind      string
	Every     time.Duration // time bars
	Threshold float64       // volume and dollar bars
}

// ParseBarSpec reads --bar values: time:1s, time:100ms, volume:50,
// dollar:1000000. The folder spelling (time-1s) is accepted too.
func ParseBarSpec(s string) (BarSpec, error) {
	s = strings.TrimSpace(s)
	kind, arg, ok := strings.Cut(s, ":")
	if !ok {
		kind, arg, ok = strings.Cut(s, "-")
	}
	bad := fmt.Errorf("unknown bar %q: use time:DURATION (time:1s, time:100ms), volume:BASE_AMOUNT (volume:50) or dollar:QUOTE_AMOUNT (dollar:1000000)", s)
	if !ok {
		return BarSpec{}, bad
	}
	switch kind {
	case BarTime:
		d, err := time.ParseDuration(arg)
		if err != nil || d < time.Millisecond || d%time.Millisecond != 0 || d > 24*time.Hour || (24*time.Hour)%d != 0 {
			return BarSpec{}, fmt.Errorf("%w; a time bar is a whole number of milliseconds that divides a day", bad)
		}
		return BarSpec{Kind: BarTime, Every: d}, nil
	case BarVolume, BarDollar:
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil || !(v > 0) || v > 1e15 {
			return BarSpec{}, bad
		}
		return BarSpec{Kind: kind, Threshold: v}, nil
	}
	return BarSpec{}, bad
}

// Folder is the spec as the bar= folder value: time-1s, volume-50, dollar-1e+06.
func (b BarSpec) Folder() string {
	if b.Kind == BarTime {
		return BarTime + "-" + shortDuration(b.Every)
	}
	return b.Kind + "-" + strconv.FormatFloat(b.Threshold, 'f', -1, 64)
}

func (b BarSpec) String() string {
	if b.Kind == BarTime {
		return BarTime + ":" + shortDuration(b.Every)
	}
	return b.Kind + ":" + strconv.FormatFloat(b.Threshold, 'f', -1, 64)
}

// shortDuration prints 1s, 100ms, 1m, 1h, 1m30s rather than 1m0s, 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// tradeBarChecker checks trade bars: ordered by trade ids without overlap,
// first <= last, OHLC sane, at least one trade.
type tradeBarChecker struct {
	rowsOnly
	lastID int64
	seen   bool
}

func newTradeBarChecker(CheckScope) SeriesChecker { return &tradeBarChecker{} }

func (c *tradeBarChecker) Check(rec arrow.RecordBatch) []Problem {
	if p := schemaProblem(TradeBarSchema, rec); p != nil {
		return p
	}
	first := rec.Column(0).(*array.Int64)
	last := rec.Column(1).(*array.Int64)
	lt := rec.Column(4).(*array.Timestamp)
	f := func(i int) *array.Float64 { return rec.Column(i).(*array.Float64) }
	o, h, l, cl := f(5), f(6), f(7), f(8)
	trades := rec.Column(11).(*array.Int64)
	var out []Problem
	for i := 0; i < int(rec.NumRows()); i++ {
		at := floorDiv(int64(lt.Value(i)), 1000)
		ids := []int64{first.Value(i), last.Value(i)}
		switch {
		case c.seen && first.Value(i) <= c.lastID:
			out = append(out, Problem{Kind: ProblemUnsorted, OpenTime: at, IDs: ids, Detail: fmt.Sprintf("bar starts at trade %d, not after the previous bar's last trade %d", first.Value(i), c.lastID)})
		case last.Value(i) < first.Value(i) || trades.Value(i) < 1:
			out = append(out, Problem{Kind: "trade_range", OpenTime: at, IDs: ids, Detail: fmt.Sprintf("trades %d..%d, count %d", first.Value(i), last.Value(i), trades.Value(i))})
		}
		c.lastID, c.seen = max(c.lastID, last.Value(i)), true
		if p, bad := ohlcProblem(at, o.Value(i), h.Value(i), l.Value(i), cl.Value(i)); bad {
			p.IDs = ids
			out = append(out, p)
		}
	}
	return out
}
