package transform

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ProblemKlineMismatch is a minute whose 1m kline disagrees with its trades.
const ProblemKlineMismatch = "kline_mismatch"

// tradesChecker checks a trades series (TradesData.Checker) with idSeq.
type tradesChecker struct{ idSeq }

func newTradesChecker(s CheckScope) SeriesChecker {
	sc, err := TradesSchema(s.Market)
	if err != nil {
		panic(err)
	}
	c := &tradesChecker{idSeq{what: "trade", schema: sc, timeCol: tIdxTime, scope: s}}
	if s.Market != "spot" {
		c.gapNote = "; Binance's futures trade ids skip values of their own: trades are missing only where the 1m klines cross-check disagrees"
	}
	return c
}

func (c *tradesChecker) StartFile(FileInfo) {}
func (c *tradesChecker) EndFile() []Problem { return c.cap.summary() }
func (c *tradesChecker) Close()             {}

func (c *tradesChecker) Check(rec arrow.RecordBatch) []Problem {
	ids, times, p := c.batch(rec)
	if p != nil {
		return []Problem{*p}
	}
	var out []Problem
	for i, id := range ids {
		out, _ = c.next(out, id, int64(times[i]))
	}
	return out
}

const (
	minuteMs      = 60_000
	dayMs         = 24 * 60 * minuteMs
	minutesPerDay = dayMs / minuteMs
	relTolerance  = 1e-9 // volumes: sums of decimals in float64
)

// minuteBar is one minute of trades, or its 1m kline.
type minuteBar struct {
	open, high, low, close float64
	volume, quote          float64
	trades                 int64
	stored                 bool // klines: a candle is stored
}

// klinesCrossCheck compares a trades series with the 1m klines of the same
// market and symbol (SPEC section 8): per minute open, high, low and close
// exactly, volume (sum of qty) and quote volume (sum of quote_qty; coinm:
// the kline's "quote" volume is the base volume, the sum of base_qty, the
// same column) within 1e-9 relative, and the trade count exactly. A minute
// with trades and no kline, or a kline counting trades none of which is
// stored, disagrees too. Trades are summed a day (one file) at a time into
// 1440 slots and the klines of that day streamed from their month file.
//
// Only minutes both sides cover are compared: within the klines' first and
// last stored candle, and not the minutes of the series' oldest and newest
// trade (collection may have started or stopped within them). A day
// without a trades file is not compared: the trades checker reports it as
// an id gap.
type klinesCrossCheck struct {
	ref    Reference
	scope  CheckScope
	ext    Extent
	extOK  bool
	file   FileInfo
	day    int64 // first ms of the file's day; -1 when the period is no day
	trades [minutesPerDay]minuteBar
	klines [minutesPerDay]minuteBar

	seen              bool
	firstMin, lastMin int64 // ms: minutes of the series' oldest and of the newest trade so far

	kPeriod string // the klines month file open in kr
	kr      array.RecordReader
	kb      arrow.RecordBatch // kr's current batch, rows from krow on unread
	krow    int
	cap     capped
}

func newKlinesCrossCheck(ref Reference, s CheckScope) SeriesChecker {
	c := &klinesCrossCheck{ref: ref, scope: s}
	c.ext, c.extOK = ref.Extent()
	return c
}

func (c *klinesCrossCheck) StartFile(f FileInfo) {
	c.file = f
	c.day = -1
	if d, ok := dayStart(f.Period); ok {
		c.day = d
	}
	clear(c.trades[:])
}

func (c *klinesCrossCheck) Check(rec arrow.RecordBatch) []Problem {
	if c.day < 0 || !c.extOK || rec.NumCols() <= tIdxTime {
		return nil
	}
	price, ok1 := rec.Column(tIdxPrice).(*array.Float64)
	qty, ok2 := rec.Column(tIdxQty).(*array.Float64)
	quote, ok3 := rec.Column(tIdxQuoteQty).(*array.Float64)
	ts, ok4 := rec.Column(tIdxTime).(*array.Timestamp)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil // the trades checker reports the schema
	}
	p, q, qq, tv := price.Float64Values(), qty.Float64Values(), quote.Float64Values(), ts.TimestampValues()
	for i := range tv {
		ms := floorDiv(int64(tv[i]), 1000)
		m := ms - floorMod(ms, minuteMs)
		if !c.seen {
			c.firstMin, c.seen = m, true
		}
		c.lastMin = max(c.lastMin, m)
		slot := floorDiv(ms-c.day, minuteMs)
		if slot < 0 || slot >= minutesPerDay {
			continue // misfiled, reported by verify
		}
		b := &c.trades[slot]
		if b.trades == 0 {
			b.open, b.high, b.low = p[i], p[i], p[i]
		}
		b.high, b.low, b.close = max(b.high, p[i]), min(b.low, p[i]), p[i]
		b.volume += q[i]
		b.quote += qq[i]
		b.trades++
	}
	return nil
}

func (c *klinesCrossCheck) EndFile() []Problem {
	if c.day < 0 || !c.extOK || !c.seen {
		return nil
	}
	period := Interval("1m").Period(c.day)
	var out []Problem
	if err := c.loadKlines(period); err != nil {
		return []Problem{{Kind: "unreadable", Detail: fmt.Sprintf("klines cross-check: %v", err)}}
	}
	for slot := range minutesPerDay {
		m := c.day + int64(slot)*minuteMs
		if m <= c.firstMin || c.file.Last && m >= c.lastMin || m < c.ext.FirstTime || m > c.ext.LastTime ||
			c.scope.From != 0 && m < c.scope.From || c.scope.To != 0 && m >= c.scope.To {
			continue
		}
		if diff := compareMinute(&c.klines[slot], &c.trades[slot]); diff != "" {
			out = c.cap.add(out, Problem{Kind: ProblemKlineMismatch, OpenTime: m,
				Detail: fmt.Sprintf("1m kline %s in %s disagrees with its trades: %s", millis(m), c.ref.File(period), diff)})
		}
	}
	return append(out, c.cap.summary()...)
}

// compareMinute says how a minute's kline and trades disagree, "" if not.
func compareMinute(k, t *minuteBar) string {
	switch {
	case !k.stored && t.trades == 0:
		return ""
	case !k.stored:
		return fmt.Sprintf("no kline stored, %d trades stored", t.trades)
	case t.trades == 0 && k.trades == 0:
		return ""
	case t.trades == 0:
		return fmt.Sprintf("the kline counts %d trades, none stored", k.trades)
	}
	var d []string
	exact := func(name string, kv, tv float64) {
		if kv != tv {
			d = append(d, fmt.Sprintf("%s kline %v, trades %v", name, kv, tv))
		}
	}
	near := func(name string, kv, tv float64) {
		if math.Abs(kv-tv) > relTolerance*max(math.Abs(kv), math.Abs(tv)) || math.IsNaN(kv) != math.IsNaN(tv) {
			d = append(d, fmt.Sprintf("%s kline %v, trades %v", name, kv, tv))
		}
	}
	exact("open", k.open, t.open)
	exact("high", k.high, t.high)
	exact("low", k.low, t.low)
	exact("close", k.close, t.close)
	near("volume", k.volume, t.volume)
	near("quote_volume", k.quote, t.quote)
	if k.trades != t.trades {
		d = append(d, fmt.Sprintf("trades kline %d, trades %d", k.trades, t.trades))
	}
	return strings.Join(d, "; ")
}

// loadKlines fills c.klines with the candles of c.day, reading on in the
// month file of period (klines files are read forward only, as the trades
// days go forward).
func (c *klinesCrossCheck) loadKlines(period string) error {
	clear(c.klines[:])
	if period != c.kPeriod {
		c.closeKlines()
		c.kPeriod = period
		rr, err := c.ref.Open(period)
		if err != nil {
			return err
		}
		c.kr = rr
	}
	end := c.day + dayMs
	for c.kr != nil {
		if c.kb == nil || c.krow >= int(c.kb.NumRows()) {
			if !c.kr.Next() {
				err := c.kr.Err()
				c.closeKlines()
				c.kPeriod = period // nothing more in this month
				return err
			}
			c.kb, c.krow = c.kr.RecordBatch(), 0
			if !Conforms(c.kb.Schema()) {
				c.closeKlines()
				c.kPeriod = period
				return nil // the klines checker reports the schema
			}
		}
		ts := c.kb.Column(idxOpenTime).(*array.Timestamp).TimestampValues()
		for ; c.krow < len(ts); c.krow++ {
			open := int64(ts[c.krow])
			if open >= end {
				return nil
			}
			if open < c.day {
				continue
			}
			b := &c.klines[(open-c.day)/minuteMs]
			i := c.krow
			*b = minuteBar{
				open: f64At(c.kb, idxOpen, i), high: f64At(c.kb, idxHigh, i), low: f64At(c.kb, idxLow, i), close: f64At(c.kb, idxClose, i),
				volume: f64At(c.kb, idxVolume, i), quote: f64At(c.kb, idxQuoteVolume, i),
				trades: c.kb.Column(idxTrades).(*array.Int64).Value(i), stored: true,
			}
		}
	}
	return nil
}

func f64At(rec arrow.RecordBatch, col, i int) float64 {
	return rec.Column(col).(*array.Float64).Value(i)
}

func (c *klinesCrossCheck) closeKlines() {
	if c.kr != nil {
		c.kr.Release()
	}
	c.kr, c.kb, c.krow, c.kPeriod = nil, nil, 0, ""
}

func (c *klinesCrossCheck) Close() { c.closeKlines() }

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// millis formats a ms time for problem details.
func millis(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }
