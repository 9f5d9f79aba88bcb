package collector

import (
	"context"
	"errors"
)

// errRowsRejected marks a file some of whose rows were not stored.
var errRowsRejected = errors.New("rows rejected")

// fetchTask feeds w with the task's candles, segment by segment in time
// order, so the period grouping and merge logic of taskWriter serve REST
// pages and archive files alike: first the holes an earlier run left
// (heal), then the task's range.
func (r *Runner) fetchTask(ctx context.Context, t Task, w *taskWriter) error {
	var errs []error
	for _, h := range t.Heal {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		// A hole lies between stored candles: the source's whole answer
		// for it confirms what it lacks.
		if err := r.fetchRange(ctx, t.subTask(h.Start, h.End), w, true, h.End); err != nil {
			errs = append(errs, err)
		}
	}
	if !t.Empty() {
		if err := r.fetchRange(ctx, t, w, t.From == FromResume, -1); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// fetchRange serves [t.Start, t.End). storedBefore says a stored candle
// precedes it; boundedAt, if not -1, is where stored candles follow it.
func (r *Runner) fetchRange(ctx context.Context, t Task, w *taskWriter, storedBefore bool, boundedAt int64) error {
	w.lo, w.hi = t.Start, t.End
	mode := r.Mode
	if r.Archive == nil {
		mode = SourceAPI
	}
	if mode == SourceAPI || mode == "" {
		return r.runSegments(ctx, t, mode, []Segment{{Kind: SegmentAPI, Start: t.Start, End: t.End}}, w, storedBefore, boundedAt)
	}
	segs := PlanSegments(t, mode, r.Now())
	if err := SkipStored(ctx, r.Sink, t, segs); err != nil {
		return err
	}
	return r.runSegments(ctx, t, mode, segs, w, storedBefore, boundedAt)
}

// runSegments serves segs in order. Archive files are downloaded ahead in
// parallel; a missing monthly file is replaced by its daily files, a missing
// daily file by REST (auto) or reported (archive). A failed file adds its
// error and contributes nothing; the other segments go on.
func (r *Runner) runSegments(ctx context.Context, t Task, mode SourceMode, segs []Segment, w *taskWriter, storedBefore bool, boundedAt int64) error {
	pf := r.prefetch(ctx, t, segs)
	defer pf.close()
	var errs []error
	for i, s := range segs {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		w.beginSegment(s.Start, storedBefore && s.Start == t.Start)
		switch s.Kind {
		case SegmentStored:
			w.res.Segments = append(w.res.Segments, s)
			w.gaps.expect, w.gaps.known = s.End, true
		case SegmentUnpublished:
			w.res.Segments = append(w.res.Segments, s)
			w.gaps.known = false
		case SegmentAPI:
			w.res.Segments = append(w.res.Segments, s)
			err := r.Source(t.Market).Fetch(ctx, t.subTask(s.Start, s.End), w.page)
			if err != nil {
				errs = append(errs, err)
			}
			w.endSegment(s.End, err, s.End == boundedAt)
		default:
			fb, err := pf.wait(ctx, i)
			switch {
			case err != nil:
				errs = append(errs, err)
			case errors.Is(fb.err, errNotPublished):
				if err := r.runSegments(ctx, t, mode, r.fallback(t, mode, s), w, storedBefore && s.Start == t.Start, boundedAt); err != nil {
					errs = append(errs, err)
				}
			case fb.err != nil:
				errs = append(errs, fb.err)
				w.endSegment(s.End, fb.err, false)
			default:
				w.res.Segments = append(w.res.Segments, s)
				if err := w.addFile(fb, s.End); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// fallback replaces a missing file: a month by its days, a day by REST
// (auto) or by an unpublished note (archive).
func (r *Runner) fallback(t Task, mode SourceMode, s Segment) []Segment {
	if !s.File.Daily && dailyFiles(t.Interval) {
		return planArchive(t, mode, s.Start, s.End, dayStart(r.Now().UnixMilli()).UnixMilli(), false)
	}
	kind := SegmentAPI
	if mode == SourceArchive {
		kind = SegmentUnpublished
	}
	return []Segment{{Kind: kind, Start: s.Start, End: s.End}}
}

// addFile takes a verified file's candles into the writer. A file never
// spans two periods (periods are whole days, months or years), so the
// batch joins the period of its first candle. When the file's segment
// reaches the end of the period (end), nothing more can join it, so the
// period is written at once, behind the task, rather than when the next
// file arrives.
func (w *taskWriter) addFile(fb fileBatch, end int64) error {
	w.res.Rejected.Merge(&fb.rejected)
	w.res.OpenSkipped += fb.stats.openSkipped
	// The file is Binance's whole record of its period: the candles it
	// lacks are confirmed gaps, unless some were rejected (those are not
	// Binance's gaps, only not storable).
	var rejected error
	if fb.rejected.Total() > 0 {
		rejected = errRowsRejected
	}
	if rejected == nil {
		w.sawBatch(fb.rec)
	}
	w.endSegment(end, rejected, true)
	if fb.rec.NumRows() == 0 {
		fb.rec.Release()
		return nil
	}
	if w.period == "" || fb.stats.first >= w.periodEnd || fb.stats.first < w.periodStart() {
		if err := w.flush(w.ctx); err != nil {
			fb.rec.Release()
			return err
		}
		w.period = w.t.Interval.Period(fb.stats.first)
		_, w.periodEnd = w.t.Interval.PeriodBounds(fb.stats.first)
	}
	if w.res.First == 0 {
		w.res.First = fb.stats.first
	}
	w.res.Last = max(w.res.Last, fb.stats.last)
	w.res.Fetched += fb.stats.fetched
	w.tel.archiveIngested(w.ctx, w.t, int(fb.rec.NumRows()))
	w.pending = append(w.pending, fb.rec)
	if end >= w.periodEnd {
		return w.flushBehind()
	}
	return nil
}

func (w *taskWriter) periodStart() int64 {
	if w.period == "" {
		return 0
	}
	start, _ := w.t.Interval.PeriodBounds(w.periodEnd - 1)
	return start
}
