package collector

import (
	"fmt"
	"strings"
	"time"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// SourceMode is --source: where candles come from.
type SourceMode string

const (
	SourceAuto    SourceMode = "auto"    // archive zips for the past, REST for the rest
	SourceAPI     SourceMode = "api"     // REST only
	SourceArchive SourceMode = "archive" // archive zips only; nothing from REST
)

// ParseSourceMode accepts auto, api or archive.
func ParseSourceMode(s string) (SourceMode, error) {
	switch m := SourceMode(strings.ToLower(strings.TrimSpace(s))); m {
	case SourceAuto, SourceAPI, SourceArchive:
		return m, nil
	}
	return "", fmt.Errorf("unknown --source %q: allowed are auto, api, archive", s)
}

// Segment kinds.
const (
	SegmentMonthly     = "monthly"     // a monthly zip
	SegmentDaily       = "daily"       // a daily zip
	SegmentAPI         = "api"         // REST paging
	SegmentStored      = "stored"      // already complete in the lake (--start re-runs)
	SegmentUnpublished = "unpublished" // --source archive: no file exists yet
)

// Segment is one contiguous part [Start, End) (open times, ms) of a task's
// range and what serves it. A task's segments are ordered and disjoint.
type Segment struct {
	Kind  string
	Start int64
	End   int64
	File  *ArchiveFile // monthly and daily segments
}

// PlanSegments splits t by SPEC 2.3: whole past months from monthly zips,
// other past days from daily zips, and today (or, with --source archive,
// nothing) from REST. now decides which files can exist at all; a file that
// turns out to be missing is replaced when the task runs (fallback).
func PlanSegments(t Task, mode SourceMode, now time.Time) []Segment {
	if t.Empty() {
		return nil
	}
	if mode == SourceAPI || mode == "" {
		return []Segment{{Kind: SegmentAPI, Start: t.Start, End: t.End}}
	}
	return planArchive(t, mode, t.Start, t.End, dayStart(now.UnixMilli()).UnixMilli(), true)
}

// planArchive covers [from, to) of t; monthly=false plans daily files only
// (the fallback for a missing monthly zip).
func planArchive(t Task, mode SourceMode, from, to, today int64, monthly bool) []Segment {
	iv := t.Interval
	var segs []Segment
	add := func(s Segment) {
		if n := len(segs); n > 0 && s.File == nil && segs[n-1].File == nil && segs[n-1].Kind == s.Kind && segs[n-1].End == s.Start {
			segs[n-1].End = s.End // one REST range, not one per day
			return
		}
		segs = append(segs, s)
	}
	rest := SegmentAPI
	if mode == SourceArchive {
		rest = SegmentUnpublished
	}
	for cursor := from; cursor < to; {
		ms := monthStart(cursor)
		me := ms.AddDate(0, 1, 0).UnixMilli()
		switch {
		case cursor >= today:
			add(Segment{Kind: rest, Start: cursor, End: to})
			cursor = to
		case monthly && monthlyFiles(iv) && iv.Ceil(ms) >= cursor && me <= to && closedBefore(iv, me, today):
			add(Segment{Kind: SegmentMonthly, Start: cursor, End: me, File: &ArchiveFile{Market: t.Market, Symbol: t.Symbol, Interval: iv, Date: ms}})
			cursor = me
		case dailyFiles(iv):
			ds := dayStart(cursor)
			end := min(ds.AddDate(0, 0, 1).UnixMilli(), to)
			add(Segment{Kind: SegmentDaily, Start: cursor, End: end, File: &ArchiveFile{Market: t.Market, Symbol: t.Symbol, Interval: iv, Daily: true, Date: ds}})
			cursor = end
		default:
			// A candle longer than a day in a month not yet whole: no daily
			// file can hold it, so REST serves it up to the next month.
			end := min(me, to)
			add(Segment{Kind: rest, Start: cursor, End: end})
			cursor = end
		}
	}
	return segs
}

// monthlyFiles: every interval but 1s, whose monthly zip (2.6M rows) is too
// big to hold in memory; its daily zips are used instead.
func monthlyFiles(iv transform.Interval) bool { return iv != "1s" }

// dailyFiles: intervals whose candles fit in a day. A 3d, 1w or 1M candle
// is not closed when its day's file would be published.
func dailyFiles(iv transform.Interval) bool { return !iv.Monthly() && iv.Duration() <= 24*time.Hour }

// closedBefore reports whether every candle opening before end has closed
// by today (00:00 UTC), so the month's file can hold all of them.
func closedBefore(iv transform.Interval, end, today int64) bool {
	last := iv.Floor(time.UnixMilli(end - 1))
	return iv.CloseTime(last) < today
}

// subTask is t narrowed to [start, end).
func (t Task) subTask(start, end int64) Task {
	t.Start, t.End, t.Heal = start, end, nil
	return t
}

// Narrowed is t narrowed to [start, end), without heal ranges.
func (t Task) Narrowed(start, end int64) Task { return t.subTask(start, end) }
