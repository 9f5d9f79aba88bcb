package collector

import (
	"context"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// Binance's own gaps (issue 16): a source that answered for a range and
// had no candle in some slots of it confirms those slots empty. The writer
// records them in the metadata of the files of their periods, so the next
// run does not ask again and verify can tell a gap at Binance from a
// candle not fetched yet. Only what lies between candles Binance or the
// lake holds counts: before a new series' first candle is not a gap.

// gapTracker follows the candles a task receives, in time order.
type gapTracker struct {
	expect int64 // open time of the next candle due
	known  bool  // a candle before expect is stored or was received
	// gaps are confirmed, not yet written with their period's file.
	gaps []storage.SourceGap
}

// beginSegment starts a part [start, ...) of the range. A part that does
// not continue from the previous one keeps nothing known unless stored
// candles precede it (heal ranges begin right after a stored candle).
func (w *taskWriter) beginSegment(start int64, storedBefore bool) {
	g := &w.gaps
	if g.known && g.expect == start {
		return
	}
	g.expect, g.known = start, storedBefore
}

// endSegment ends a part [.., end) of the range. When the source answered
// for the whole part (complete: an archive file, or REST pages up to a
// stored candle) the slots after the last candle received are confirmed
// too; a failed part leaves nothing known.
func (w *taskWriter) endSegment(end int64, err error, complete bool) {
	g := &w.gaps
	if err != nil {
		g.known = false
		return
	}
	if complete && g.known {
		w.confirm(g.expect, end)
		g.expect = max(g.expect, w.closedBefore(end))
	}
}

// saw notes a received candle (open times ascending): the slots since the
// previous one are confirmed empty.
func (w *taskWriter) saw(open int64) {
	g := &w.gaps
	if g.known && open > g.expect {
		w.confirm(g.expect, open)
	}
	if open >= g.expect || !g.known {
		g.expect, g.known = w.t.Interval.Next(open), true
	}
}

// sawBatch notes an archive file's candles. A file out of order confirms
// nothing (verify reports such a file).
func (w *taskWriter) sawBatch(rec arrow.RecordBatch) {
	col, ok := rec.Column(0).(*array.Timestamp)
	if !ok {
		return
	}
	for i := 1; i < col.Len(); i++ {
		if col.Value(i) <= col.Value(i-1) {
			w.gaps.known = false
			return
		}
	}
	for i := 0; i < col.Len(); i++ {
		w.saw(int64(col.Value(i)))
	}
}

// closedBefore clips end to the candles closed by now.
func (w *taskWriter) closedBefore(end int64) int64 {
	return min(end, w.t.Interval.Floor(time.UnixMilli(w.nowMs)))
}

// confirm records [from, to) (clipped to closed candles) as a gap at Binance.
func (w *taskWriter) confirm(from, to int64) {
	to = w.closedBefore(to)
	if from >= to {
		return
	}
	w.gaps.gaps = append(w.gaps.gaps, storage.SourceGap{From: from, To: to, Confirmed: w.r.Now().UTC()})
}

// takeGaps hands over the confirmed gaps inside [start, end) and keeps
// the rest.
func (w *taskWriter) takeGaps(start, end int64) []storage.SourceGap {
	var in, out []storage.SourceGap
	for _, g := range w.gaps.gaps {
		if s, e := max(g.From, start), min(g.To, end); s < e {
			in = append(in, storage.SourceGap{From: s, To: e, Confirmed: g.Confirmed})
		}
		if g.From < start {
			out = append(out, storage.SourceGap{From: g.From, To: min(g.To, start), Confirmed: g.Confirmed})
		}
		if g.To > end {
			out = append(out, storage.SourceGap{From: max(g.From, end), To: g.To, Confirmed: g.Confirmed})
		}
	}
	w.gaps.gaps = out
	return in
}

// flushGaps writes the confirmed gaps left over after the task's candles:
// those of periods that got no new candle, into their files (an empty file
// when a whole period is a gap between stored candles).
func (w *taskWriter) flushGaps(ctx context.Context) error {
	for len(w.gaps.gaps) > 0 {
		at := w.gaps.gaps[0].From
		ps, pe := w.t.Interval.PeriodBounds(at)
		gaps := w.takeGaps(ps, pe)
		job := writeJob{key: w.t.Series().Key(w.t.Interval.Period(at)), rec: w.b.NewRecord(), gaps: gaps}
		if err := w.write(ctx, job, true); err != nil {
			return err
		}
	}
	return nil
}

// mergeGaps is the metadata entry of a file rewritten with rows merged:
// the gaps it recorded and the new ones, less any slot that now holds a
// candle (Binance filled it after all); "" when there is none.
func mergeGaps(iv transform.Interval, old map[string]string, add []storage.SourceGap, merged arrow.RecordBatch) (string, error) {
	prev, err := storage.ParseSourceGaps(old)
	if err != nil {
		return "", err
	}
	gaps := storage.MergeSourceGaps(append(prev, add...))
	if len(gaps) == 0 {
		return "", nil
	}
	col, _ := merged.Column(0).(*array.Timestamp)
	var out []storage.SourceGap
	for _, g := range gaps {
		for col != nil {
			// The first stored candle inside the gap, if any, splits it.
			i := sort.Search(col.Len(), func(i int) bool { return int64(col.Value(i)) >= g.From })
			if i == col.Len() || int64(col.Value(i)) >= g.To {
				break
			}
			at := int64(col.Value(i))
			if at > g.From {
				out = append(out, storage.SourceGap{From: g.From, To: at, Confirmed: g.Confirmed})
			}
			g.From = iv.Next(at)
		}
		if g.From < g.To {
			out = append(out, g)
		}
	}
	return storage.FormatSourceGaps(out), nil
}

// gapsMeta is the metadata to write for a file whose gaps entry is v.
func gapsMeta(v string) map[string]string {
	if v == "" {
		return nil
	}
	return map[string]string{storage.MetaSourceGaps: v}
}
