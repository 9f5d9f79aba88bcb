package collector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// rowsWriter takes the batches of a dataset keyed by an id (archive files
// and REST pages, oldest first), keeps the rows new to the lake and in the
// task's range, and streams them into one file per period (a UTC day),
// merging with a stored file of that day as they go. Nothing is held but
// the batches in flight: a day of a busy symbol is millions of rows.
type rowsWriter struct {
	ctx   context.Context
	r     *Runner
	t     Task
	res   *TaskResult
	d     *transform.Dataset
	sc    *arrow.Schema
	key   int // column indexes
	time  int
	after int64 // only rows with a greater key are new
	// [from, to) in the dataset's time unit.
	from, to int64
	cur      *dayWrite
	failed   error // a day's file could not be written
}

func newRowsWriter(ctx context.Context, r *Runner, t Task, res *TaskResult) *rowsWriter {
	d := t.Data()
	sc := d.Schema(string(t.Market))
	return &rowsWriter{ctx: ctx, r: r, t: t, res: res, d: d, sc: sc,
		key: sc.FieldIndices(d.Key)[0], time: sc.FieldIndices(d.Time)[0],
		after: t.AfterKey, from: d.FromMillis(t.Start), to: d.FromMillis(t.End)}
}

// errRowsDone stops a source: the rows reached the end of the task.
var errRowsDone = errors.New("end of the task's range")

// add takes the new rows of rec, which is sorted by key. It returns
// errRowsDone once a row reaches the end of the range. add does not own
// rec.
func (w *rowsWriter) add(rec arrow.RecordBatch) error {
	// A file on disk parses without ever blocking: stop between batches
	// when the run is interrupted (the day in flight is kept, complete up
	// to here, and the next run resumes after it).
	if err := w.ctx.Err(); err != nil {
		return err
	}
	keys := rec.Column(w.key).(*array.Int64).Int64Values()
	times := rec.Column(w.time).(*array.Timestamp).TimestampValues()
	n := len(keys)
	lo := 0
	for lo < n && (keys[lo] <= w.after || int64(times[lo]) < w.from) {
		lo++
	}
	hi := lo
	for hi < n && int64(times[hi]) < w.to {
		hi++
	}
	for lo < hi {
		// Rows of one UTC day go to one file; a day is a fixed number of
		// time units, so no row's date is formatted.
		dayStart, dayEnd := w.d.Day(int64(times[lo]))
		end := lo + 1
		for end < hi && int64(times[end]) < dayEnd {
			end++
		}
		if err := w.write(w.d.Period("", dayStart), rec.NewSlice(int64(lo), int64(end))); err != nil {
			w.failed = err
			return err
		}
		w.after = keys[end-1]
		w.res.Fetched += end - lo
		if w.res.First == 0 {
			w.res.First = w.d.Millis(int64(times[lo]))
		}
		w.res.Last = w.d.Millis(int64(times[end-1]))
		lo = end
	}
	if hi < n {
		return errRowsDone
	}
	return nil
}

// write hands a slice of one day's rows to that day's file, finishing the
// previous day's first. It takes ownership of part.
func (w *rowsWriter) write(day string, part arrow.RecordBatch) error {
	if w.cur != nil && w.cur.key.Period != day {
		if err := w.finish(); err != nil {
			part.Release()
			return err
		}
	}
	if w.cur == nil {
		w.cur = w.startDay(w.t.Series().Key(day))
	}
	return w.cur.send(w.ctx, part)
}

// damaged ends an archive file that failed for good: a day the file had
// begun (one other than was being written before it) is dropped, so
// nothing of a daily file is stored; the days of a monthly file complete
// before the damage are, and the error says so.
func (w *rowsWriter) damaged(bad *ArchiveError, before *dayWrite, files int) error {
	if d := w.cur; d != nil && d != before {
		w.cur = nil
		d.aborted = true // read by streamDay once d.in is closed
		d.close()
	}
	if stored := w.res.Files[files:]; len(stored) > 0 {
		return fmt.Errorf("archive file %s: %w (sha256 %s matches its CHECKSUM; %d attempts); its days up to %s are stored, the next run resumes after them",
			bad.URL, bad.Err, bad.Want, bad.Attempts, stored[len(stored)-1])
	}
	return bad
}

// close finishes the day being written.
func (w *rowsWriter) close() error {
	if w.cur == nil {
		return nil
	}
	return w.finish()
}

func (w *rowsWriter) finish() error {
	d := w.cur
	w.cur = nil
	out := d.close()
	if out.err != nil {
		return fmt.Errorf("write %s: %w", d.key.Path(), out.err)
	}
	w.res.Added += out.stats.Added
	w.res.Replaced += out.stats.Replaced
	if out.written {
		w.res.Files = append(w.res.Files, d.key.Path())
		w.res.Bytes += out.info.Size
		if w.r.Progress != nil {
			w.r.Progress.FileWritten(out.stats.Added, out.info.Size)
		}
	}
	return nil
}

// dayWrite is one file being streamed: batches go through a channel to a
// goroutine running the sink's WriteStream, which merges them with the
// stored file of that day, if any.
type dayWrite struct {
	key     storage.Key
	in      chan arrow.RecordBatch
	stopped chan struct{} // closed when the write is over, out set
	out     dayResult
	aborted bool // set before in is closed: publish nothing
}

type dayResult struct {
	stats   transform.MergeStats
	info    storage.ObjectInfo
	written bool
	err     error
}

// errNothingNew aborts a write whose rows the stored file already holds:
// nothing is published, so a second run writes nothing.
var errNothingNew = errors.New("nothing new")

// errAborted drops a write whose rows came from a damaged file.
var errAborted = errors.New("aborted: the file its rows came from is damaged")

// errReplay: a backend asked for the rows of a streamed file a second
// time, which a stream cannot give (S3 falling back from conditional
// writes in the middle of a write; the next run writes the file).
var errReplay = errors.New("the backend retried a streamed write; run again to store this file")

func (w *rowsWriter) startDay(key storage.Key) *dayWrite {
	d := &dayWrite{key: key, in: make(chan arrow.RecordBatch, 2), stopped: make(chan struct{})}
	go func() {
		d.out = w.streamDay(d)
		close(d.stopped)
		for rec := range d.in { // what was sent after a failure
			rec.Release()
		}
	}()
	return d
}

// streamDay writes the day's file from d.in, merged with the stored one.
// The write lasts as long as its day's rows stream in (a busy day parses
// for seconds to minutes), and a write that started finishes within
// finalFlushTimeout of the run being interrupted; what was sent by then is
// complete and validated.
func (w *rowsWriter) streamDay(d *dayWrite) dayResult {
	ctx, cancel := untilAfterCancel(w.ctx, finalFlushTimeout)
	defer cancel()
	ctx, storeDone := w.r.rowsStoreSpan(ctx, w.t, d.key.Path(), 0)
	var out dayResult
	defer func() { storeDone(out.err) }()
	stored, version, err := w.r.Sink.ReadStream(ctx, d.key, w.sc, 0)
	cond := storage.Precondition{IfMatch: version}
	switch {
	case storage.IsNotExist(err):
		stored, cond = nil, storage.Precondition{IfNoneMatch: true}
	case err != nil:
		out.err = fmt.Errorf("stored file cannot be merged (left untouched): %w", err)
		return out
	}
	if stored != nil {
		defer stored.Release()
	}
	calls := 0
	info, err := w.r.Sink.WriteStream(ctx, d.key, w.sc, map[string]string{storage.MetaDataset: w.d.Name}, func(bw storage.BatchWriter) error {
		if calls++; calls > 1 {
			return errReplay
		}
		st, err := transform.MergeSortedByKey(w.r.Mem, stored, &chanReader{sc: w.sc, in: d.in}, 0, bw.Write)
		out.stats = st
		if err != nil {
			return err
		}
		if d.aborted {
			return errAborted
		}
		if st.Added == 0 && st.Replaced == 0 {
			return errNothingNew
		}
		return nil
	}, cond)
	switch {
	case errors.Is(err, errAborted):
		return dayResult{}
	case errors.Is(err, errNothingNew):
		return out
	case errors.Is(err, storage.ErrPrecondition):
		out.err = fmt.Errorf("changed by another writer meanwhile; its rows stand, run again to add these: %w", err)
	case err != nil:
		out.err = err
	default:
		out.info, out.written = info, true
	}
	if out.err != nil {
		out.stats = transform.MergeStats{}
	}
	return out
}

// send hands part to the day's writer; it takes ownership of part. A
// write that failed stops the rows at once.
func (d *dayWrite) send(ctx context.Context, part arrow.RecordBatch) error {
	select {
	case d.in <- part:
		return nil
	case <-d.stopped:
		part.Release()
		if d.out.err != nil {
			return d.out.err
		}
		return errors.New("day writer stopped early")
	case <-ctx.Done():
		part.Release()
		return ctx.Err()
	}
}

// close ends the day's rows and waits for its file.
func (d *dayWrite) close() dayResult {
	close(d.in)
	<-d.stopped
	return d.out
}

// chanReader is an array.RecordReader over batches sent on a channel; it
// releases each batch when the next is asked for.
type chanReader struct {
	sc   *arrow.Schema
	in   <-chan arrow.RecordBatch
	cur  arrow.RecordBatch
	refs int64
}

var _ array.RecordReader = (*chanReader)(nil)

func (c *chanReader) Retain()               { c.refs++ }
func (c *chanReader) Release()              { c.release() }
func (c *chanReader) Schema() *arrow.Schema { return c.sc }
func (c *chanReader) Err() error            { return nil }

func (c *chanReader) release() {
	if c.cur != nil {
		c.cur.Release()
		c.cur = nil
	}
}

func (c *chanReader) Next() bool {
	c.release()
	rec, ok := <-c.in
	if !ok {
		return false
	}
	c.cur = rec
	return true
}

func (c *chanReader) RecordBatch() arrow.RecordBatch { return c.cur }
func (c *chanReader) Record() arrow.RecordBatch      { return c.cur }

// untilAfterCancel is a context that outlives parent's cancellation by
// limit: unbounded while parent runs, ended limit after parent is
// cancelled (or by the returned cancel).
func untilAfterCancel(parent context.Context, limit time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() {
		timer := time.AfterFunc(limit, cancel)
		context.AfterFunc(ctx, func() { timer.Stop() })
	})
	return ctx, func() { stop(); cancel() }
}
