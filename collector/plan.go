package collector

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// Where a task's Start comes from (Task.From).
const (
	FromStart    = "start"    // --start
	FromResume   = "resume"   // after the newest stored candle
	FromLookback = "lookback" // nothing stored yet: --lookback before the end
	// FromLake: not known until the task starts. Start is the lookback
	// start; ResolveStart moves it after the newest stored candle, if any,
	// and says FromResume or FromLookback.
	FromLake = "lake"
)

// Task is one unit of work: the rows of one dataset/market/symbol/interval
// whose time lies in [Start, End) (ms; for klines the open time, on the
// interval grid).
type Task struct {
	// Dataset is what the task collects; nil means klines.
	Dataset  *transform.Dataset
	Market   Market
	Symbol   string
	Interval transform.Interval
	Start    int64
	End      int64
	// From says where Start comes from: one of the From constants.
	From string
	// AfterKey, for datasets keyed by an id, is the newest id stored
	// (resume): only rows with a greater key are new. 0 means none.
	AfterKey int64
	// Heal are holes an earlier run left in the stored range (candles
	// neither stored nor confirmed missing at Binance), fetched before
	// [Start, End), oldest first (ResolveHeal).
	Heal []Range
}

func (t Task) String() string {
	if d := t.Data(); d != transform.Klines {
		return fmt.Sprintf("%s %s %s", d.Name, t.Market, t.Symbol)
	}
	return fmt.Sprintf("%s %s %s", t.Market, t.Symbol, t.Interval)
}

// Data is the task's dataset.
func (t Task) Data() *transform.Dataset {
	if t.Dataset == nil {
		return transform.Klines
	}
	return t.Dataset
}

// Series is the storage series the task writes.
func (t Task) Series() storage.Series {
	return storage.Series{Dataset: t.Data().Name, Market: string(t.Market), Interval: t.Interval.String(), Symbol: t.Symbol}
}

// Empty reports whether there is nothing to fetch.
func (t Task) Empty() bool { return t.Start >= t.End }

// Keys lists the files the task may write, oldest first.
func (t Task) Keys() []storage.Key {
	var keys []storage.Key
	if d := t.Data(); d.DailyFiles {
		for at := dayStart(t.Start).UnixMilli(); at < t.End; at += 86_400_000 {
			keys = append(keys, t.Series().Key(d.Period("", at*1000)))
		}
		return keys
	}
	if d := t.Data(); d.YearFiles {
		for y := time.UnixMilli(t.Start).UTC().Year(); y <= time.UnixMilli(t.End-1).UTC().Year(); y++ {
			keys = append(keys, t.Series().Key(strconv.Itoa(y)))
		}
		return keys
	}
	for at := t.Start; at < t.End; {
		keys = append(keys, t.Series().Key(t.Interval.Period(at)))
		_, at = t.Interval.PeriodBounds(at)
	}
	return keys
}

// Request is what the user asked for, already validated.
type Request struct {
	// Datasets to collect; none means klines.
	Datasets  []*transform.Dataset
	Market    Market
	Symbols   []string
	Intervals []transform.Interval
	Start     time.Time // zero: resume from the lake, else Lookback
	End       time.Time // zero: now
	Lookback  time.Duration
}

// Plan turns every symbol x interval of req into a Task. It reads nothing:
// without --start a task is FromLake and finds where its series left off
// when it starts (ResolveStart), so that only the shard running a series
// reads its files and a bad file fails that task alone.
func Plan(req Request, now time.Time) []Task {
	end := req.End
	if end.IsZero() || end.After(now) {
		end = now
	}
	datasets := req.Datasets
	if len(datasets) == 0 {
		datasets = []*transform.Dataset{transform.Klines}
	}
	var tasks []Task
	for _, d := range datasets {
		for _, sym := range req.Symbols {
			if !d.Intervals {
				tasks = append(tasks, planRows(d, req, sym, end))
				continue
			}
			for _, iv := range req.Intervals {
				t := Task{Dataset: d, Market: req.Market, Symbol: sym, Interval: iv, End: iv.Ceil(end)}
				if !req.Start.IsZero() {
					t.Start, t.From = iv.Ceil(req.Start), FromStart
				} else {
					t.Start, t.From = lookbackStart(iv, end, now, req.Lookback), FromLake
				}
				tasks = append(tasks, t)
			}
		}
	}
	return tasks
}

// planRows plans a dataset without intervals (trades): every row whose
// time lies in [start, end), to the millisecond.
func planRows(d *transform.Dataset, req Request, sym string, end time.Time) Task {
	t := Task{Dataset: d, Market: req.Market, Symbol: sym, End: end.UnixMilli()}
	if !req.Start.IsZero() {
		t.Start, t.From = req.Start.UnixMilli(), FromStart
	} else {
		t.Start, t.From = end.Add(-req.Lookback).UnixMilli(), FromLake
	}
	return t
}

// lookbackStart is where an empty series starts: the candle open at
// end - lookback, or earlier so that the range holds at least the last
// candle closed by now. A lookback shorter than a candle (the CronJob's
// 6h for 1d, 1w, 1M) would otherwise never store one.
func lookbackStart(iv transform.Interval, end, now time.Time, lookback time.Duration) int64 {
	return min(iv.Floor(end.Add(-lookback)), lastClosed(iv, end, now))
}

// lastClosed is the open time of the newest candle of iv that opens before
// end and has closed by now.
func lastClosed(iv transform.Interval, end, now time.Time) int64 {
	open := iv.Floor(end.Add(-time.Millisecond))
	if iv.CloseTime(open) >= now.UnixMilli() {
		open = iv.Floor(time.UnixMilli(open - 1))
	}
	return open
}

// ResolveStart moves the start of a FromLake task after the newest candle
// stored for its series, reading only Parquet footers, or keeps the
// lookback start when nothing is stored. Other tasks are returned as they
// are.
func ResolveStart(ctx context.Context, sink storage.Sink, t Task) (Task, error) {
	if t.From != FromLake {
		return t, nil
	}
	if d := t.Data(); d.Key != d.Time || !d.Intervals {
		// Keyed by an id, or by a time off any grid (funding_time):
		// after the newest stored key.
		return resumeAfterKey(ctx, sink, t)
	}
	newest, ok, err := NewestStored(ctx, sink, t.Series())
	switch {
	case err != nil:
		return t, err
	case ok:
		t.Start, t.From = t.Interval.Next(newest), FromResume
	default:
		t.From = FromLookback
	}
	return t, nil
}

// NewestStored returns the open time of the newest candle stored for a
// series, from the footer statistics of its newest file (or, for a file
// written without statistics, from its rows).
func NewestStored(ctx context.Context, sink storage.Sink, s storage.Series) (int64, bool, error) {
	for fm, err := range storedNewestFirst(ctx, sink, s) {
		if err != nil {
			return 0, false, err
		}
		if fm.HasStats {
			return fm.MaxKey, true, nil
		}
		rec, _, err := sink.Read(ctx, fm.Key)
		if err != nil {
			return 0, false, fmt.Errorf("find where %s left off: %w", seriesName(s), err)
		}
		_, last, ok := transform.TimeRange(rec)
		rec.Release()
		if ok {
			return last, true, nil
		}
	}
	return 0, false, nil
}

// storedNewestFirst yields the footers of the files of s that hold rows,
// newest first, or the error that stopped the walk.
func storedNewestFirst(ctx context.Context, sink storage.Sink, s storage.Series) iter.Seq2[storage.FileMeta, error] {
	return func(yield func(storage.FileMeta, error) bool) {
		keys, err := sink.List(ctx, s)
		if err != nil {
			yield(storage.FileMeta{}, fmt.Errorf("find where %s left off: %w", seriesName(s), err))
			return
		}
		for i := len(keys) - 1; i >= 0; i-- {
			fm, err := sink.Meta(ctx, keys[i])
			if err != nil {
				yield(fm, fmt.Errorf("find where %s left off: %w", seriesName(s), err))
				return
			}
			fm.Key = keys[i]
			if fm.Rows > 0 && !yield(fm, nil) {
				return
			}
		}
	}
}

// seriesName names a series in messages: spot/1m/BTCUSDT for klines, its
// folder for other datasets.
func seriesName(s storage.Series) string {
	if s.Dataset == transform.Klines.Name {
		return fmt.Sprintf("%s/%s/%s", s.Market, s.Interval, s.Symbol)
	}
	return s.Dir()
}

// resumeAfterKey resumes a dataset keyed by an id after the newest stored
// row: from its time (ms, floored: rows of the same millisecond with a
// greater id are still new) and after its id, read from the footer of the
// newest non-empty file.
func resumeAfterKey(ctx context.Context, sink storage.Sink, t Task) (Task, error) {
	t.From = FromLookback
	for fm, err := range storedNewestFirst(ctx, sink, t.Series()) {
		if err != nil {
			return t, err
		}
		if !fm.HasStats {
			return t, fmt.Errorf("find where %s left off: %s has no column statistics in its footer", seriesName(t.Series()), fm.Key.Path())
		}
		t.Start, t.AfterKey, t.From = t.Data().Millis(fm.MaxTime), fm.MaxKey, FromResume
		break
	}
	return t, nil
}

// HealAll as Runner.HealWindow heals the whole stored range (--heal).
const HealAll time.Duration = -1

// DefaultHealWindow is --heal-window's default.
const DefaultHealWindow = 35 * 24 * time.Hour

// ResolveHeal finds the holes of a resumed kline task's series within
// window before its newest stored candle (from the start of the period the
// window begins in; HealAll: everywhere) and puts them in t.Heal. It reads
// footers, and the open times of a file only when its footer shows
// candles missing between its first and last. Other tasks are returned as
// they are.
func ResolveHeal(ctx context.Context, sink storage.Sink, t Task, window time.Duration) (Task, error) {
	if t.From != FromResume || window == 0 {
		return t, nil
	}
	if t.Data().DailyFiles {
		return healDays(ctx, sink, t, window)
	}
	if !t.Data().Intervals {
		return t, nil // one file per year, resumed after its newest key: no holes to find
	}
	from := int64(0)
	if window > 0 {
		newest := t.Interval.Floor(time.UnixMilli(t.Start - 1))
		from, _ = t.Interval.PeriodBounds(newest - window.Milliseconds())
	}
	cv, err := KlineCoverage(ctx, sink, t.Series(), t.Interval, from, t.Start)
	if err != nil {
		return t, fmt.Errorf("find the holes of %s: %w", seriesName(t.Series()), err)
	}
	t.Heal = cv.Holes
	return t, nil
}

// healDays finds the days without a file between stored days of a
// dataset written one file per UTC day (trades): a day an earlier run
// failed to store. Within a day, a file is whole or absent.
func healDays(ctx context.Context, sink storage.Sink, t Task, window time.Duration) (Task, error) {
	keys, err := sink.List(ctx, t.Series())
	if err != nil {
		return t, fmt.Errorf("find the holes of %s: %w", seriesName(t.Series()), err)
	}
	from := int64(0)
	if window > 0 {
		from = dayStart(t.Start - window.Milliseconds()).UnixMilli()
	}
	const day = 86_400_000
	prev := int64(-1) // the previous stored day in the window
	for _, k := range keys {
		at, err := time.Parse(time.DateOnly, k.Period)
		if err != nil {
			continue
		}
		d := at.UnixMilli()
		if d >= t.Start {
			break
		}
		if prev >= 0 && d > prev+day && d > from {
			t.Heal = append(t.Heal, Range{max(prev+day, from), d})
		}
		prev = d
	}
	return t, nil
}
