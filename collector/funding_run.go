package collector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// runTimeRows runs a task of a small dataset keyed by time (funding_rate):
// monthly archive files oldest first, then the REST tail, gathered in
// memory, then merged into one file per UTC year. A file that fails stops
// the task there: the rows before it are stored and the next run resumes
// after them, so a failed month is fetched again rather than skipped.
func (r *Runner) runTimeRows(ctx context.Context, t Task, src *timeSource, res *TaskResult) error {
	mode := r.Mode
	if r.Archive == nil {
		mode = SourceAPI
	}
	segs := PlanTimeSegments(t, mode, r.Now())
	var rows []transform.FundingRate
	var fetchErr error
fetch:
	for i := 0; i < len(segs); i++ {
		seg := segs[i]
		if err := ctx.Err(); err != nil {
			fetchErr = err
			break
		}
		switch seg.Kind {
		case SegmentMonthly:
			got, err := r.timeFetch(ctx, t, "archive", res, func() ([]transform.FundingRate, error) {
				return r.fundingFile(ctx, t, *seg.File, res)
			})
			if errors.Is(err, errNotPublished) {
				// Not published (yet): REST from here on, or, without
				// REST, nothing more until it is.
				kind := SegmentAPI
				if mode != SourceAuto {
					kind = SegmentArchiveOnly
				}
				segs = append(segs[:i], Segment{Kind: kind, Start: seg.Start, End: t.End})
				i--
				continue
			}
			res.Segments = append(res.Segments, seg)
			if err != nil {
				fetchErr = err
				break fetch
			}
			rows = append(rows, got...)
		case SegmentAPI:
			res.Segments = append(res.Segments, seg)
			got, err := r.timeFetch(ctx, t, "api", res, func() ([]transform.FundingRate, error) {
				return r.fundingREST(ctx, t, src, seg.Start, seg.End, res)
			})
			rows = append(rows, got...) // the pages before a failure are good
			if err != nil {
				fetchErr = err
				break fetch
			}
		default:
			res.Segments = append(res.Segments, seg)
		}
	}
	rows = newTimeRows(t, transform.SortFundingRates(rows))
	res.Fetched += len(rows)
	if len(rows) > 0 {
		if res.First == 0 {
			res.First = rows[0].FundingTime
		}
		res.Last = rows[len(rows)-1].FundingTime
	}
	return errors.Join(fetchErr, r.writeTimeRows(ctx, t, rows, res))
}

// timeFetch runs one fetch inside the rows' fetch span and counts its
// rejected rows.
func (r *Runner) timeFetch(ctx context.Context, t Task, source string, res *TaskResult, fetch func() ([]transform.FundingRate, error)) (rows []transform.FundingRate, err error) {
	sctx, done := r.rowsFetchSpan(ctx, t, source)
	rejected := res.Rejected.Counts()
	defer func() {
		r.rowsRejected(sctx, t, rejected, &res.Rejected)
		done(len(rows), err)
	}()
	return fetch()
}

// newTimeRows keeps the rows of the task's range that are new: after the
// newest stored key (resume) and in [Start, End).
func newTimeRows(t Task, rows []transform.FundingRate) []transform.FundingRate {
	out := rows[:0]
	for _, fr := range rows {
		if fr.FundingTime >= t.Start && fr.FundingTime < t.End && (t.AfterKey == 0 || fr.FundingTime > t.AfterKey) {
			out = append(out, fr)
		}
	}
	return out
}

// writeTimeRows merges rows (sorted, unique) into their year files: the
// stored rows plus the new, one row per funding_time, written whole and
// atomically, conditional on the stored version. A file gaining nothing
// is not written, so a second run writes nothing.
func (r *Runner) writeTimeRows(ctx context.Context, t Task, rows []transform.FundingRate, res *TaskResult) error {
	d := t.Data()
	// A write that started finishes within finalFlushTimeout of an
	// interruption: what was fetched is complete and validated.
	ctx, cancel := untilAfterCancel(ctx, finalFlushTimeout)
	defer cancel()
	var errs []error
	for len(rows) > 0 {
		period := d.Period("", rows[0].FundingTime)
		n := 1
		for n < len(rows) && d.Period("", rows[n].FundingTime) == period {
			n++
		}
		if err := r.writeTimeFile(ctx, t, t.Series().Key(period), rows[:n], res); err != nil {
			errs = append(errs, err)
			break // later years would resume past this one
		}
		rows = rows[n:]
	}
	return errors.Join(errs...)
}

func (r *Runner) writeTimeFile(ctx context.Context, t Task, key storage.Key, rows []transform.FundingRate, res *TaskResult) (err error) {
	ctx, done := r.rowsStoreSpan(ctx, t, key.Path(), int64(len(rows)))
	defer func() { done(err) }()
	var stored []transform.FundingRate
	rec, st, err := r.Sink.Read(ctx, key)
	cond := storage.Precondition{IfMatch: st.Version}
	switch {
	case storage.IsNotExist(err):
		cond = storage.Precondition{IfNoneMatch: true}
	case err != nil:
		return fmt.Errorf("write %s: stored file cannot be merged (left untouched): %w", key.Path(), err)
	default:
		stored = transform.FundingRates(rec)
		rec.Release()
	}
	merged, ms := transform.MergeFundingRates(stored, rows)
	if ms.Added == 0 && ms.Replaced == 0 {
		return nil
	}
	out := transform.FundingRecord(r.Mem, merged)
	defer out.Release()
	info, err := r.Sink.Write(ctx, key, out, map[string]string{storage.MetaDataset: t.Data().Name}, cond)
	switch {
	case errors.Is(err, storage.ErrPrecondition):
		return fmt.Errorf("write %s: changed by another writer meanwhile; its rows stand, run again to add these: %w", key.Path(), err)
	case err != nil:
		return fmt.Errorf("write %s: %w", key.Path(), err)
	}
	res.Added += ms.Added
	res.Replaced += ms.Replaced
	res.Files = append(res.Files, key.Path())
	res.Bytes += info.Size
	if r.Progress != nil {
		r.Progress.FileWritten(ms.Added, info.Size)
	}
	return nil
}

// PlanTimeSegments plans a task of a dataset keyed by time with monthly
// archive files only (funding_rate): every month that has ended by now
// from its monthly zip (a range starting mid-month takes the zip and
// keeps its rows from the start), the current month from REST, or, with
// --source archive, nothing yet (archive-only).
func PlanTimeSegments(t Task, mode SourceMode, now time.Time) []Segment {
	if t.Empty() {
		return nil
	}
	if mode == SourceAPI || mode == "" {
		return []Segment{{Kind: SegmentAPI, Start: t.Start, End: t.End}}
	}
	thisMonth := monthStart(now.UnixMilli()).UnixMilli()
	var segs []Segment
	for cursor := t.Start; cursor < t.End; {
		ms := monthStart(cursor)
		me := ms.AddDate(0, 1, 0).UnixMilli()
		if me > thisMonth {
			kind := SegmentAPI
			if mode != SourceAuto {
				kind = SegmentArchiveOnly
			}
			return append(segs, Segment{Kind: kind, Start: cursor, End: t.End})
		}
		end := min(me, t.End)
		segs = append(segs, Segment{Kind: SegmentMonthly, Start: cursor, End: end,
			File: &ArchiveFile{Data: t.Data(), Market: t.Market, Symbol: t.Symbol, Date: ms}})
		cursor = end
	}
	return segs
}
