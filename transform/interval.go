package transform

import (
	"fmt"
	"strings"
	"time"
)

// Interval is a Binance kline interval such as "1m" or "1M".
type Interval string

// Intervals lists every kline interval Binance serves, shortest first.
var Intervals = []Interval{"1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"}

var fixedDurations = map[Interval]time.Duration{
	"1s": time.Second, "1m": time.Minute, "3m": 3 * time.Minute, "5m": 5 * time.Minute,
	"15m": 15 * time.Minute, "30m": 30 * time.Minute, "1h": time.Hour, "2h": 2 * time.Hour,
	"4h": 4 * time.Hour, "6h": 6 * time.Hour, "8h": 8 * time.Hour, "12h": 12 * time.Hour,
	"1d": 24 * time.Hour, "3d": 72 * time.Hour, "1w": 7 * 24 * time.Hour,
}

// ParseInterval accepts a Binance interval name. Matching is exact except
// that "1mo" (the archive's spelling) is accepted for the monthly "1M".
func ParseInterval(s string) (Interval, error) {
	s = strings.TrimSpace(s)
	if s == "1mo" {
		s = "1M"
	}
	for _, iv := range Intervals {
		if string(iv) == s {
			return iv, nil
		}
	}
	names := make([]string, len(Intervals))
	for i, iv := range Intervals {
		names[i] = string(iv)
	}
	return "", fmt.Errorf("unknown interval %q: allowed are %s", s, strings.Join(names, ", "))
}

// String returns the REST name of the interval.
func (iv Interval) String() string { return string(iv) }

// ArchiveName is the interval as data.binance.vision spells it ("1mo" for "1M").
func (iv Interval) ArchiveName() string {
	if iv == "1M" {
		return "1mo"
	}
	return string(iv)
}

// SpotOnly reports whether the interval exists only on the spot market.
func (iv Interval) SpotOnly() bool { return iv == "1s" }

// Monthly reports whether candles are calendar months (variable length).
func (iv Interval) Monthly() bool { return iv == "1M" }

// Duration is the fixed length of a candle; zero for the monthly interval.
func (iv Interval) Duration() time.Duration { return fixedDurations[iv] }

// Next returns the open time (ms) of the candle that follows the one opening at openMs.
func (iv Interval) Next(openMs int64) int64 {
	if iv.Monthly() {
		t := time.UnixMilli(openMs).UTC()
		return time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	}
	return openMs + iv.Duration().Milliseconds()
}

// CloseTime is the close time (ms) Binance reports for a candle opening at openMs.
func (iv Interval) CloseTime(openMs int64) int64 { return iv.Next(openMs) - 1 }

// Aligned reports whether openMs lies on the interval's grid. Weeks open on
// Mondays, months on the 1st, everything else on multiples of its length
// since the epoch. Binance does not document the phase of 3d candles, so
// for 3d only whole days are required rather than rejecting real rows.
func (iv Interval) Aligned(openMs int64) bool {
	switch {
	case iv == "3d":
		return openMs%int64(24*time.Hour/time.Millisecond) == 0
	case iv.Monthly():
		t := time.UnixMilli(openMs).UTC()
		return openMs%int64(24*time.Hour/time.Millisecond) == 0 && t.Day() == 1
	case iv == "1w":
		const monday = 4 * 24 * 3600 * 1000 // 1970-01-05 was the first Monday
		return (openMs-monday)%iv.Duration().Milliseconds() == 0
	default:
		return openMs%iv.Duration().Milliseconds() == 0
	}
}

// epochStep is the length in ms of an interval whose candles open on
// multiples of it since the epoch (1s to 1d), so that alignment is one
// remainder; 0 for 3d, 1w and 1M, whose grids Aligned treats apart.
func (iv Interval) epochStep() int64 {
	if iv == "3d" || iv == "1w" || iv.Monthly() {
		return 0
	}
	return iv.Duration().Milliseconds()
}

// Floor returns the open time of the candle that contains t.
func (iv Interval) Floor(t time.Time) int64 {
	ms := t.UnixMilli()
	switch {
	case iv.Monthly():
		u := t.UTC()
		return time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	case iv == "1w":
		const monday = 4 * 24 * 3600 * 1000
		d := iv.Duration().Milliseconds()
		return monday + floorDiv(ms-monday, d)*d
	default:
		d := iv.Duration().Milliseconds()
		return floorDiv(ms, d) * d
	}
}

// Ceil returns the first open time on the grid at or after t.
func (iv Interval) Ceil(t time.Time) int64 {
	f := iv.Floor(t)
	if f < t.UnixMilli() {
		return iv.Next(f)
	}
	return f
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Period is the partition a candle belongs to: a day for 1s, a month for
// 1m..30m and a year for 1h and longer (SPEC section 3).
func (iv Interval) Period(openMs int64) string {
	t := time.UnixMilli(openMs).UTC()
	switch {
	case iv == "1s":
		return t.Format("2006-01-02")
	case !iv.Monthly() && iv.Duration() < time.Hour:
		return t.Format("2006-01")
	default:
		return t.Format("2006")
	}
}

// PeriodBounds returns the half-open [start, end) range in ms covered by the
// partition that contains openMs.
func (iv Interval) PeriodBounds(openMs int64) (start, end int64) {
	t := time.UnixMilli(openMs).UTC()
	var s, e time.Time
	switch {
	case iv == "1s":
		s = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		e = s.AddDate(0, 0, 1)
	case !iv.Monthly() && iv.Duration() < time.Hour:
		s = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		e = s.AddDate(0, 1, 0)
	default:
		s = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		e = s.AddDate(1, 0, 0)
	}
	return s.UnixMilli(), e.UnixMilli()
}
