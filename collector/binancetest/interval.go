package binancetest

import "time"

// interval describes how candles of one Binance interval are laid out on the
// time axis. Fixed-length candles (3d included) open on multiples of their
// length since the Unix epoch, weeks on Mondays 00:00 UTC, months on the 1st.
type interval struct {
	name  string
	ms    int64 // length; 0 for calendar months
	off   int64 // grid offset: weeks start on Monday, the epoch was a Thursday
	month bool
}

const minuteMs = int64(time.Minute / time.Millisecond)

// weekOffset: 1970-01-05 00:00 UTC was the first Monday after the epoch.
const weekOffset = 4 * dayMs

var intervals = map[string]interval{
	"1s":  {name: "1s", ms: 1000},
	"1m":  {name: "1m", ms: minuteMs},
	"3m":  {name: "3m", ms: 3 * minuteMs},
	"5m":  {name: "5m", ms: 5 * minuteMs},
	"15m": {name: "15m", ms: 15 * minuteMs},
	"30m": {name: "30m", ms: 30 * minuteMs},
	"1h":  {name: "1h", ms: 60 * minuteMs},
	"2h":  {name: "2h", ms: 120 * minuteMs},
	"4h":  {name: "4h", ms: 240 * minuteMs},
	"6h":  {name: "6h", ms: 360 * minuteMs},
	"8h":  {name: "8h", ms: 480 * minuteMs},
	"12h": {name: "12h", ms: 720 * minuteMs},
	"1d":  {name: "1d", ms: dayMs},
	"3d":  {name: "3d", ms: 3 * dayMs},
	"1w":  {name: "1w", ms: 7 * dayMs, off: weekOffset},
	"1M":  {name: "1M", month: true},
}

// lookupInterval applies the market rule that only spot serves 1s candles.
func lookupInterval(spec *marketSpec, name string) (interval, bool) {
	iv, ok := intervals[name]
	if !ok || (name == "1s" && !spec.allows1s) {
		return interval{}, false
	}
	return iv, true
}

// floorDiv rounds towards negative infinity so pre-1970 times still align.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// floor returns the open time of the candle containing t (ms).
func (iv interval) floor(t int64) int64 {
	if iv.month {
		u := time.UnixMilli(t).UTC()
		return time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	}
	return floorDiv(t-iv.off, iv.ms)*iv.ms + iv.off
}

// ceil returns the first open time >= t.
func (iv interval) ceil(t int64) int64 {
	f := iv.floor(t)
	if f == t {
		return f
	}
	return iv.next(f)
}

// next returns the open time following the aligned open time open.
func (iv interval) next(open int64) int64 {
	if iv.month {
		u := time.UnixMilli(open).UTC()
		return time.Date(u.Year(), u.Month()+1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	}
	return open + iv.ms
}

// prev returns the open time preceding the aligned open time open.
func (iv interval) prev(open int64) int64 {
	if iv.month {
		return iv.floor(open - 1)
	}
	return open - iv.ms
}

// minutes is the nominal candle length, used to scale ranges and volumes.
func (iv interval) minutes(open int64) float64 {
	return float64(iv.next(open)-open) / float64(minuteMs)
}
