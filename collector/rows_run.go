package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// SegmentArchiveOnly: a part of the range Binance serves only in the
// archive, which publishes a day the next morning (futures trades have
// no key-free REST source). Not a failure: the next run fetches it.
const SegmentArchiveOnly = "archive-only"

// runRows runs a task of a dataset keyed by an id (trades, agg_trades):
// archive files oldest first, streamed from disk, then the REST tail.
func (r *Runner) runRows(ctx context.Context, t Task, res *TaskResult) error {
	if ts := timeSources[t.Data()]; ts != nil {
		return r.runTimeRows(ctx, t, ts, res)
	}
	src := rowsSources[t.Data()]
	if src == nil {
		return fmt.Errorf("no source for dataset %s", t.Data().Name)
	}
	w := newRowsWriter(ctx, r, t, res)
	err := r.fetchRows(ctx, t, src, w)
	if errors.Is(err, errRowsDone) {
		err = nil
	}
	return errors.Join(err, w.close())
}

func (r *Runner) fetchRows(ctx context.Context, t Task, src *rowsSource, w *rowsWriter) error {
	mode := r.Mode
	if r.Archive == nil {
		mode = SourceAPI
	}
	rest := src.rest(t.Market)
	segs := PlanRowSegments(t, mode, r.Now(), rest != nil)
	ahead := &rowsAhead{ctx: ctx}
	defer ahead.close()
	for i := 0; i < len(segs); i++ {
		seg := segs[i]
		if err := ctx.Err(); err != nil {
			return err
		}
		switch seg.Kind {
		case SegmentMonthly, SegmentDaily:
			ahead.next = nil
			if i+1 < len(segs) && isArchiveSegment(segs[i+1]) {
				ahead.next = segs[i+1].File
			}
			err := r.rowsFromArchive(ctx, t, src, *seg.File, w, ahead)
			if errors.Is(err, errNotPublished) {
				// A missing monthly file: its days; a missing daily one:
				// REST from here on where there is REST, else a hole the
				// summary names.
				repl := r.rowsFallback(t, seg, w, rest != nil)
				segs = append(segs[:i], append(repl, segs[i+1:]...)...)
				i--
				continue
			}
			w.res.Segments = append(w.res.Segments, seg)
			if err != nil {
				return err
			}
		case SegmentAPI:
			w.res.Segments = append(w.res.Segments, seg)
			return r.restTail(ctx, t, rest, w)
		default:
			w.res.Segments = append(w.res.Segments, seg)
		}
	}
	return nil
}

func isArchiveSegment(s Segment) bool {
	return (s.Kind == SegmentMonthly || s.Kind == SegmentDaily) && s.File != nil
}

// rowsFallback replaces a segment whose file is not published.
func (r *Runner) rowsFallback(t Task, seg Segment, w *rowsWriter, hasREST bool) []Segment {
	if seg.Kind == SegmentMonthly {
		return planRowsArchive(t, seg.Start, seg.End, seg.End, false, hasREST)
	}
	if hasREST {
		return []Segment{{Kind: SegmentAPI, Start: seg.Start, End: t.End}}
	}
	return []Segment{{Kind: SegmentArchiveOnly, Start: seg.Start, End: seg.End}}
}

// PlanTask says what serves each part of any task's range (the plan of
// --dry-run; a run falls back from files that turn out to be missing).
func PlanTask(t Task, mode SourceMode, now time.Time) []Segment {
	if timeSources[t.Data()] != nil {
		return PlanTimeSegments(t, mode, now)
	}
	src := rowsSources[t.Data()]
	if src == nil {
		return PlanSegments(t, mode, now)
	}
	return PlanRowSegments(t, mode, now, src.rest(t.Market) != nil)
}

// PlanRowSegments splits a task of a dataset keyed by an id as the kline
// planner does (SPEC 2.3): whole past months from monthly zips, other
// past days from daily zips, today from REST, or, without a REST source,
// nothing yet (archive-only).
func PlanRowSegments(t Task, mode SourceMode, now time.Time, hasREST bool) []Segment {
	if t.Empty() {
		return nil
	}
	if mode == SourceAPI || mode == "" {
		if !hasREST {
			return []Segment{{Kind: SegmentArchiveOnly, Start: t.Start, End: t.End}}
		}
		return []Segment{{Kind: SegmentAPI, Start: t.Start, End: t.End}}
	}
	today := dayStart(now.UnixMilli()).UnixMilli()
	return planRowsArchive(t, t.Start, t.End, today, true, hasREST && mode == SourceAuto)
}

func planRowsArchive(t Task, from, to, today int64, monthly, hasREST bool) []Segment {
	var segs []Segment
	for cursor := from; cursor < to; {
		ms := monthStart(cursor)
		me := ms.AddDate(0, 1, 0).UnixMilli()
		switch {
		case cursor >= today:
			kind := SegmentArchiveOnly
			if hasREST {
				kind = SegmentAPI
			}
			segs = append(segs, Segment{Kind: kind, Start: cursor, End: to})
			cursor = to
		case monthly && cursor == ms.UnixMilli() && me <= min(to, today):
			segs = append(segs, Segment{Kind: SegmentMonthly, Start: cursor, End: me,
				File: &ArchiveFile{Data: t.Data(), Market: t.Market, Symbol: t.Symbol, Date: ms}})
			cursor = me
		default:
			ds := dayStart(cursor)
			end := min(ds.AddDate(0, 0, 1).UnixMilli(), to)
			segs = append(segs, Segment{Kind: SegmentDaily, Start: cursor, End: end,
				File: &ArchiveFile{Data: t.Data(), Market: t.Market, Symbol: t.Symbol, Daily: true, Date: ds}})
			cursor = end
		}
	}
	return segs
}

// maxRowsZip bounds one trades zip on disk: Binance's biggest monthly
// trade files are a few GB; this only stops a runaway download.
const maxRowsZip = 64 << 30

// rowsFromArchive streams one verified archive file into w: CHECKSUM,
// download to a temporary file (hashed on the way, resumed with Range;
// done ahead when ahead started it), SHA-256 compared, then the CSV
// inflated and parsed batch by batch while ahead's next file downloads. A
// file that does not verify, or does not decode, is fetched once more
// (the rows taken already are skipped), then fails.
func (r *Runner) rowsFromArchive(ctx context.Context, t Task, src *rowsSource, f ArchiveFile, w *rowsWriter, ahead *rowsAhead) (err error) {
	a := r.Archive
	url := a.URL(f)
	ctx, done := r.rowsFetchSpan(ctx, t, "archive")
	fetched, rejected := w.res.Fetched, w.res.Rejected.Counts()
	defer func() {
		r.rowsRejected(ctx, t, rejected, &w.res.Rejected)
		done(w.res.Fetched-fetched, err)
	}()
	day, files := w.cur, len(w.res.Files)
	var bad *ArchiveError
	for attempt := 1; attempt <= 2; attempt++ {
		err = r.rowsFileOnce(ctx, t, src, f, w, ahead)
		if err == nil || !errors.As(err, &bad) || ctx.Err() != nil {
			break
		}
		bad.Attempts = attempt
		if attempt < 2 {
			r.Logger.Warn("archive file failed verification, fetching it again", "file", url, "err", err)
		}
	}
	if err != nil && bad != nil && ctx.Err() == nil {
		err = w.damaged(bad, day, files)
	}
	return err
}

func (r *Runner) rowsFileOnce(ctx context.Context, t Task, src *rowsSource, f ArchiveFile, w *rowsWriter, ahead *rowsAhead) error {
	url := r.Archive.URL(f)
	got, err := ahead.take(ctx, f)
	if got == nil && err == nil {
		got, err = r.downloadRowsFile(ctx, f)
	}
	if err != nil {
		return err
	}
	dl := got.dl
	defer dl.Close()
	if err := dl.Verify(got.want); err != nil {
		return &ArchiveError{URL: url, Want: got.want, Got: dl.SHA256, Err: err}
	}
	if r.Archive.raw != nil {
		if err := keepRawFile(ctx, r.Archive, f, dl, got.sum); err != nil {
			return err
		}
	}
	ahead.start(r)
	// Verified, the file streams into the lake. A zip damaged at Binance
	// under a matching CHECKSUM is an ArchiveError (fetched once more,
	// then the day it had begun is dropped); a failure to store the rows
	// (a full disk) leaves the rows before it stored, and the next run
	// resumes after them.
	err = r.decodeRowsZip(dl, dl.Size, t, src, w)
	switch {
	case err == nil || errors.Is(err, errRowsDone):
		return err
	case w.failed != nil || ctx.Err() != nil:
		return fmt.Errorf("archive file %s (sha256 %s matches its CHECKSUM): %w; the rows before it are stored, the next run resumes after them", url, got.want, err)
	}
	return &ArchiveError{URL: url, Want: got.want, Got: dl.SHA256, Err: fmt.Errorf("%w: %v", errUnreadable, err)}
}

// decodeRowsZip streams the one CSV of a zip on disk into w
// (rows_zipcsv.go: memory-mapped, inflated ahead of the parser).
func (r *Runner) decodeRowsZip(ra io.ReaderAt, size int64, t Task, src *rowsSource, w *rowsWriter) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoding panicked: %v", p)
		}
	}()
	rc, err := openRowsCSV(ra, size)
	if err != nil {
		return err
	}
	defer rc.Close()
	// The zip reader checks the entry's CRC-32 at EOF, after the rows.
	return src.readCSV(r.Mem, t.Market, rc, &w.res.Rejected, w.add)
}

// keepRawFile stores the verified zip and its CHECKSUM under bronze/.
func keepRawFile(ctx context.Context, a *ArchiveSource, f ArchiveFile, dl *downloadedFile, sum *memBody) error {
	if _, err := a.raw.PutRaw(ctx, f.rawName(), io.NewSectionReader(dl, 0, dl.Size)); err != nil {
		return fmt.Errorf("keep raw %s: %w", f.rawName(), err)
	}
	if _, err := a.raw.PutRaw(ctx, f.rawName()+".CHECKSUM", io.NewSectionReader(sum, 0, sum.Size())); err != nil {
		return fmt.Errorf("keep raw %s.CHECKSUM: %w", f.rawName(), err)
	}
	return nil
}
