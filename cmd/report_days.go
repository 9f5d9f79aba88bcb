package cmd

import (
	"fmt"
	"sort"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// dayStatus is what the report says of one UTC day of a series; the
// letters are the page's (and --format json's) encoding.
type dayStatus byte

const (
	dayComplete dayStatus = 'c' // every row the day should have is stored
	dayPartial  dayStatus = 'p' // some rows of the day are stored, some missing
	dayMissing  dayStatus = 'm' // nothing stored for the day, and Binance did not confirm it empty
	dayGap      dayStatus = 'g' // nothing missing, but Binance confirmed part or all of the day empty
)

const reportDayMs = int64(24 * time.Hour / time.Millisecond)

// seriesDays are a series' days from first (midnight UTC, ms) on, one
// status each, and a line for each day that is not complete.
type seriesDays struct {
	first  int64
	status []dayStatus
	notes  map[int]string
}

// note adds a line about day i.
func (d *seriesDays) note(i int, format string, args ...any) {
	if d.notes == nil {
		d.notes = map[int]string{}
	}
	if d.notes[i] != "" {
		d.notes[i] += "; "
	}
	d.notes[i] += fmt.Sprintf(format, args...)
}

func floorDay(ms int64) int64 {
	q := ms / reportDayMs
	if ms%reportDayMs != 0 && ms < 0 {
		q--
	}
	return q * reportDayMs
}

// klineDays colours the days of a kline series from its coverage, over
// the days of its first to its last stored candle (no later than today).
// Intervals up to a day cut days into whole candles: a day is missing if
// holes cover every candle of it not confirmed empty at Binance, partial
// if holes cover some, a gap if none but Binance confirmed some empty,
// complete otherwise; the first and last day count from the first and to
// the last stored candle. Longer candles (3d, 1w, 1M) give each of their
// days their own status: missing if the candle is a hole, a gap if
// Binance confirmed it empty, complete otherwise.
func klineDays(cv collector.Coverage, iv transform.Interval, now int64) seriesDays {
	if !cv.Stored {
		return seriesDays{}
	}
	end := iv.Next(cv.Last)
	days := seriesDays{first: floorDay(cv.First)}
	last := min(floorDay(end-1), floorDay(now))
	if last < days.first {
		last = days.first
	}
	days.status = make([]dayStatus, (last-days.first)/reportDayMs+1)
	gaps := storage.MergeSourceGaps(cv.Gaps)
	if step := iv.Duration().Milliseconds(); step > 0 && step <= reportDayMs {
		klineDaysByDay(&days, cv, gaps, step, end)
	} else {
		klineDaysByCandle(&days, cv, gaps, iv, end)
	}
	return days
}

func klineDaysByDay(days *seriesDays, cv collector.Coverage, gaps []storage.SourceGap, step, end int64) {
	n := len(days.status)
	hole, gap := make([]int64, n), make([]int64, n)
	// spread adds the part of [s, e) in the stored extent to each day it covers.
	spread := func(acc []int64, s, e int64) {
		s, e = max(s, cv.First), min(e, end)
		for s < e {
			ds := floorDay(s)
			x := min(e, ds+reportDayMs)
			if i := (ds - days.first) / reportDayMs; i >= 0 && i < int64(n) {
				acc[i] += x - s
			}
			s = x
		}
	}
	for _, h := range cv.Holes {
		spread(hole, h.Start, h.End)
	}
	for _, g := range gaps {
		spread(gap, g.From, g.To)
	}
	for i := range days.status {
		ds := days.first + int64(i)*reportDayMs
		span := min(ds+reportDayMs, end) - max(ds, cv.First)
		candles, holes, empty := span/step, hole[i]/step, gap[i]/step
		stored := max(candles-holes-empty, 0)
		switch {
		case holes > 0 && stored == 0:
			days.status[i] = dayMissing
			days.note(i, "%d of %d candles missing, none stored", holes, candles)
			if empty > 0 {
				days.notes[i] += fmt.Sprintf(" (%d confirmed empty at Binance)", empty)
			}
		case holes > 0:
			days.status[i] = dayPartial
			days.note(i, "%d of %d candles missing", holes, candles)
			if empty > 0 {
				days.notes[i] += fmt.Sprintf(", %d confirmed empty at Binance", empty)
			}
		case empty > 0:
			days.status[i] = dayGap
			days.note(i, "%d of %d candles confirmed empty at Binance", empty, candles)
		default:
			days.status[i] = dayComplete
		}
	}
}

func klineDaysByCandle(days *seriesDays, cv collector.Coverage, gaps []storage.SourceGap, iv transform.Interval, end int64) {
	n := int64(len(days.status))
	for c := cv.First; c < end; c = iv.Next(c) {
		ce := iv.Next(c)
		st, why := dayComplete, ""
		switch {
		case overlapsRange(cv.Holes, c, ce):
			st, why = dayMissing, fmt.Sprintf("the %s candle of %s is missing", iv, ms(c))
		case overlapsGap(gaps, c, ce):
			st, why = dayGap, fmt.Sprintf("the %s candle of %s is confirmed empty at Binance", iv, ms(c))
		}
		for d := floorDay(c); d < ce; d += reportDayMs {
			i := (d - days.first) / reportDayMs
			if i < 0 || i >= n {
				continue
			}
			days.status[i] = st
			if why != "" {
				days.note(int(i), "%s", why)
			}
		}
	}
}

// overlapsRange reports whether any of rs (sorted, disjoint) meets [s, e).
func overlapsRange(rs []collector.Range, s, e int64) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].End > s })
	return i < len(rs) && rs[i].Start < e
}

// overlapsGap reports whether any of gs (sorted, merged) meets [s, e).
func overlapsGap(gs []storage.SourceGap, s, e int64) bool {
	i := sort.Search(len(gs), func(i int) bool { return gs[i].To > s })
	return i < len(gs) && gs[i].From < e
}

// idDays colours the days of a series of daily files keyed by a Binance
// id (trades, agg_trades) from their footers (metas, oldest first), over
// its first to its last day with rows. A day with rows is complete, or
// partial when ids are contiguous in the series (contiguous) and the day's
// footer shows ids missing: fewer rows than its id range, or a first id
// that does not follow the previous day's last. A day without a file with
// rows is missing, or a gap when its (empty) file records a gap Binance
// confirmed.
func idDays(metas []storage.FileMeta, contiguous bool) (seriesDays, error) {
	type day struct {
		fm  storage.FileMeta
		day int64
	}
	var stored []day
	byDay := map[int64]storage.FileMeta{}
	for _, fm := range metas {
		t, err := time.Parse(time.DateOnly, fm.Key.Period)
		if err != nil {
			return seriesDays{}, fmt.Errorf("%s: not a daily file", fm.Key.Path())
		}
		byDay[t.UnixMilli()] = fm
		if fm.Rows > 0 {
			stored = append(stored, day{fm, t.UnixMilli()})
		}
	}
	if len(stored) == 0 {
		return seriesDays{}, nil
	}
	days := seriesDays{first: stored[0].day}
	days.status = make([]dayStatus, (stored[len(stored)-1].day-days.first)/reportDayMs+1)
	for i := range days.status {
		d := days.first + int64(i)*reportDayMs
		fm, ok := byDay[d]
		if !ok || fm.Rows == 0 {
			if gaps, err := storage.ParseSourceGaps(fm.Meta); ok && err == nil && len(gaps) > 0 {
				days.status[i] = dayGap
				days.note(i, "no rows: confirmed empty at Binance")
			} else {
				days.status[i] = dayMissing
				days.note(i, "no rows stored")
			}
			continue
		}
		days.status[i] = dayComplete
		if !contiguous {
			continue
		}
		if span := fm.MaxKey - fm.MinKey + 1; fm.Rows < span {
			days.status[i] = dayPartial
			days.note(i, "%d of ids %d..%d missing", span-fm.Rows, fm.MinKey, fm.MaxKey)
		}
		if prev, ok := byDay[d-reportDayMs]; ok && prev.Rows > 0 && fm.MinKey != prev.MaxKey+1 {
			days.status[i] = dayPartial
			if fm.MinKey > prev.MaxKey+1 {
				days.note(i, "ids %d..%d missing before the day's first id %d", prev.MaxKey+1, fm.MinKey-1, fm.MinKey)
			} else {
				days.note(i, "the day's first id %d does not follow the previous day's last id %d", fm.MinKey, prev.MaxKey)
			}
		}
	}
	return days, nil
}

// idsContiguous reports whether a series' ids leave no value out when
// nothing is missing. Binance's futures trade ids skip values of their own
// (verify reports those gaps with a note and leaves the verdict to the 1m
// klines cross-check, transform/trades_check.go), so for them an id gap
// is no sign of a missing trade.
func idsContiguous(d *transform.Dataset, market string) bool {
	return !(d == transform.TradesData && market != "spot")
}
