package collector

import (
	"context"
	"fmt"
	"time"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// Task is one unit of work: the candles of one market/symbol/interval whose
// open time lies in [Start, End) (ms, on the interval grid).
type Task struct {
	Market   Market
	Symbol   string
	Interval transform.Interval
	Start    int64
	End      int64
	// From says where Start came from: "start" (--start), "resume" (after
	// the newest stored candle) or "lookback" (nothing stored yet).
	From string
}

func (t Task) String() string { return fmt.Sprintf("%s %s %s", t.Market, t.Symbol, t.Interval) }

// Series is the storage series the task writes.
func (t Task) Series() storage.Series {
	return storage.Series{Market: string(t.Market), Interval: t.Interval.String(), Symbol: t.Symbol}
}

// Empty reports whether there is nothing to fetch.
func (t Task) Empty() bool { return t.Start >= t.End }

// Keys lists the files the task may write, oldest first.
func (t Task) Keys() []storage.Key {
	var keys []storage.Key
	for at := t.Start; at < t.End; {
		keys = append(keys, t.Series().Key(t.Interval.Period(at)))
		_, at = t.Interval.PeriodBounds(at)
	}
	return keys
}

// Request is what the user asked for, already validated.
type Request struct {
	Market    Market
	Symbols   []string
	Intervals []transform.Interval
	Start     time.Time // zero: resume from the lake, else Lookback
	End       time.Time // zero: now
	Lookback  time.Duration
}

// Plan resolves every symbol x interval of req into a Task, reading only
// Parquet footers of the lake to find where each series left off.
func Plan(ctx context.Context, req Request, sink storage.Sink, now time.Time) ([]Task, error) {
	end := req.End
	if end.IsZero() || end.After(now) {
		end = now
	}
	var tasks []Task
	for _, sym := range req.Symbols {
		for _, iv := range req.Intervals {
			t := Task{Market: req.Market, Symbol: sym, Interval: iv, End: iv.Ceil(end)}
			switch {
			case !req.Start.IsZero():
				t.Start, t.From = iv.Ceil(req.Start), "start"
			default:
				newest, ok, err := NewestStored(ctx, sink, t.Series())
				if err != nil {
					return nil, err
				}
				if ok {
					t.Start, t.From = iv.Next(newest), "resume"
				} else {
					t.Start, t.From = iv.Ceil(end.Add(-req.Lookback)), "lookback"
				}
			}
			tasks = append(tasks, t)
		}
	}
	return tasks, nil
}

// NewestStored returns the open time of the newest candle stored for a
// series, from the footer statistics of its newest file.
func NewestStored(ctx context.Context, sink storage.Sink, s storage.Series) (int64, bool, error) {
	keys, err := sink.List(ctx, s)
	if err != nil {
		return 0, false, err
	}
	for i := len(keys) - 1; i >= 0; i-- {
		fm, err := sink.Meta(ctx, keys[i])
		if err != nil {
			return 0, false, fmt.Errorf("find where %s/%s/%s left off: %w", s.Market, s.Interval, s.Symbol, err)
		}
		if fm.Rows == 0 {
			continue
		}
		if fm.HasStats {
			return fm.MaxOpenTime, true, nil
		}
		rec, _, err := sink.Read(ctx, keys[i])
		if err != nil {
			return 0, false, err
		}
		_, last, ok := transform.TimeRange(rec)
		rec.Release()
		if ok {
			return last, true, nil
		}
	}
	return 0, false, nil
}
