package transform

import (
	"fmt"
	"strconv"
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

// ParseCustomInterval accepts any interval the gold layer can build:
// Binance's, and N units of s, m, h, d, w (weeks open on Mondays) or M
// (months open on the 1st), e.g. 2m, 10m, 45m, 2d, 2w, 3M. Nd, Nw and NM
// open on multiples of their length since the epoch (1970-01-01, the
// first Monday 1970-01-05, January 1970), as Binance's 3d candles do.
func ParseCustomInterval(s string) (Interval, error) {
	if iv, err := ParseInterval(s); err == nil {
		return iv, nil
	}
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "mo"); ok {
		s = n + "M" // the folder spelling of months
	}
	if n, unit, ok := splitCustom(s); ok && n > 0 && n <= 1000 {
		return Interval(strconv.Itoa(n) + unit), nil
	}
	return "", fmt.Errorf("unknown interval %q: use N followed by s, m, h, d, w or M (e.g. 10m, 45m, 2d, 2w)", s)
}

// splitCustom splits "10m" into 10 and "m".
func splitCustom(s string) (int, string, bool) {
	if len(s) < 2 {
		return 0, "", false
	}
	unit := s[len(s)-1:]
	if !strings.Contains("smhdwM", unit) {
		return 0, "", false
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || strconv.Itoa(n) != s[:len(s)-1] {
		return 0, "", false
	}
	return n, unit, true
}

var unitDurations = map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}

// custom returns N and the unit of a custom interval.
func (iv Interval) custom() (int, string) {
	n, unit, _ := splitCustom(string(iv))
	return n, unit
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
func (iv Interval) Monthly() bool { return iv == "1M" || len(iv) > 1 && iv[len(iv)-1] == 'M' }

// months is the number of months of a monthly interval.
func (iv Interval) months() int {
	if iv == "1M" {
		return 1
	}
	n, _ := iv.custom()
	return n
}

// Duration is the fixed length of a candle; zero for monthly intervals.
func (iv Interval) Duration() time.Duration {
	if d, ok := fixedDurations[iv]; ok {
		return d
	}
	n, unit := iv.custom()
	return time.Duration(n) * unitDurations[unit]
}

// Next returns the open time (ms) of the candle that follows the one opening at openMs.
func (iv Interval) Next(openMs int64) int64 {
	if iv.Monthly() {
		t := time.UnixMilli(openMs).UTC()
		return time.Date(t.Year(), t.Month()+time.Month(iv.months()), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
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
		return iv.Floor(time.UnixMilli(openMs)) == openMs
	case iv.weekly():
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
	if iv == "3d" || iv.weekly() || iv.Monthly() {
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
		m := int64(u.Year()-1970)*12 + int64(u.Month()-1)
		m = floorDiv(m, int64(iv.months())) * int64(iv.months())
		return time.Date(1970+int(floorDiv(m, 12)), time.Month(m-floorDiv(m, 12)*12+1), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	case iv.weekly():
		const monday = 4 * 24 * 3600 * 1000
		d := iv.Duration().Milliseconds()
		return monday + floorDiv(ms-monday, d)*d
	default:
		d := iv.Duration().Milliseconds()
		return floorDiv(ms, d) * d
	}
}

// Count is the number of candles that open in [start, end) (ms).
func (iv Interval) Count(start, end int64) int64 {
	first := iv.Ceil(time.UnixMilli(start))
	if first >= end {
		return 0
	}
	if iv.Monthly() {
		n := int64(0)
		for t := first; t < end; t = iv.Next(t) {
			n++
		}
		return n
	}
	return (end-1-first)/iv.Duration().Milliseconds() + 1
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

// weekly reports whether candles are N weeks opening on Mondays.
func (iv Interval) weekly() bool { return len(iv) > 1 && iv[len(iv)-1] == 'w' }

// subMinute: candles shorter than a minute (1s, and custom seconds).
func (iv Interval) subMinute() bool { return !iv.Monthly() && iv.Duration() < time.Minute }

// Period is the partition a candle belongs to: a day for 1s (and other
// sub-minute intervals), a month for 1m..30m and a year for 1h and longer
// (SPEC section 3).
func (iv Interval) Period(openMs int64) string {
	t := time.UnixMilli(openMs).UTC()
	switch {
	case iv.subMinute():
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
	case iv.subMinute():
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
