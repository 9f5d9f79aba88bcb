package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// Task outcomes.
const (
	StatusOK       = "ok"
	StatusUpToDate = "up-to-date"
	StatusFailed   = "failed"
)

// TaskResult is the outcome of one task, for the summary.
type TaskResult struct {
	Task     Task
	Status   string
	Fetched  int // closed candles received in range
	Added    int // candles new to the lake
	Replaced int // stored candles Binance changed
	// Rejected counts the rows not stored per reason, with the first few.
	Rejected    transform.Rejections
	OpenSkipped int   // still-open candles not stored
	First       int64 // open time of the first candle (other datasets: time of the first row) received (ms), 0 if none
	Last        int64 // open time of the last candle (time of the last row) received
	Files       []string
	Bytes       int64
	Duration    time.Duration
	Err         error
	// Segments says what served each part of the range, in order
	// (after falling back from missing archive files).
	Segments []Segment
}

// Runner executes tasks: source -> transform -> sink, concurrently.
type Runner struct {
	Sink        storage.Sink
	Source      func(Market) Source
	Mem         memory.Allocator
	Logger      *slog.Logger
	Now         func() time.Time
	Concurrency int

	// HealWindow is how far before the newest stored candle a task
	// without --start looks for holes an earlier run left (--heal-window):
	// 0 turns healing off, HealAll looks over the whole stored range.
	HealWindow time.Duration

	// REST serves the REST tail of datasets other than klines (their
	// pages go straight into Arrow; klines use Source).
	REST RESTEndpoint

	// Archive serves past candles from data.binance.vision zips when Mode
	// is auto or archive; nil means REST only.
	Archive             *ArchiveSource
	Mode                SourceMode
	DownloadConcurrency int           // archive downloads in flight for the whole run
	downloads           chan struct{} // their slots

	// Telemetry receives the run's spans and metrics (instrument.go);
	// nil records nothing.
	Telemetry *telemetry.Telemetry

	// Progress, if set, hears of every file written and task finished.
	Progress Progress
}

// Progress follows a run for a human (progress.go); calls come from
// concurrent tasks.
type Progress interface {
	FileWritten(rows int, bytes int64)
	TaskDone(TaskResult)
}

// Run executes every task; one failing task never stops the others. The
// results are in task order.
func (r *Runner) Run(ctx context.Context, tasks []Task) []TaskResult {
	results := make([]TaskResult, len(tasks))
	ctx, finish := r.instrumentRun(ctx, tasks)
	r.downloads = make(chan struct{}, r.downloadLimit())
	var g errgroup.Group
	g.SetLimit(max(r.Concurrency, 1))
	for i, t := range tasks {
		g.Go(func() error {
			results[i] = r.runTask(ctx, t)
			if r.Progress != nil {
				r.Progress.TaskDone(results[i])
			}
			return nil
		})
	}
	g.Wait()
	finish(results)
	return results
}

func (r *Runner) runTask(ctx context.Context, t Task) (res TaskResult) {
	started := time.Now()
	// Where the series left off is read here, in the task, so that a bad
	// file fails this task and no other.
	t, startErr := ResolveStart(ctx, r.Sink, t)
	if startErr == nil {
		t, startErr = ResolveHeal(ctx, r.Sink, t, r.HealWindow)
	}
	res = TaskResult{Task: t, Status: StatusOK}
	ctx, tt, endTask := r.instrumentTask(ctx, t)
	defer func() {
		res.Duration = time.Since(started)
		if res.Err != nil {
			res.Status = StatusFailed
			r.Logger.Error("task failed", "task", t.String(), "err", res.Err)
		} else if res.Fetched == 0 && res.Status == StatusOK {
			res.Status = StatusUpToDate
		}
		endTask(&res)
	}()
	if startErr != nil {
		res.Err = startErr
		return res
	}
	if t.Empty() && len(t.Heal) == 0 {
		return res
	}
	if err := ctx.Err(); err != nil {
		res.Err = err
		return res
	}
	if t.Data() != transform.Klines {
		var errs []error
		for _, h := range t.Heal {
			heal := t.subTask(h.Start, h.End)
			heal.AfterKey = 0 // the whole day, before the newest stored id
			errs = append(errs, r.runRows(ctx, heal, &res))
		}
		if !t.Empty() {
			errs = append(errs, r.runRows(ctx, t, &res))
		}
		res.Err = errors.Join(errs...)
		slices.Sort(res.Files)
		return res
	}
	w := &taskWriter{ctx: ctx, r: r, t: t, res: &res, b: transform.NewBuilder(r.Mem, t.Interval), nowMs: r.Now().UnixMilli(), tel: tt, behind: make(chan struct{}, maxWritesBehind)}
	defer w.b.Release()
	fetchErr := r.fetchTask(ctx, t, w)
	// Whatever arrived before a failure or an interruption is complete,
	// validated data: keep it, within a bounded time even when cancelled.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
	defer cancel()
	flushErr := w.flush(fctx)
	behindErr := w.wait()
	if flushErr == nil && behindErr == nil {
		flushErr = w.flushGaps(fctx)
	}
	slices.Sort(res.Files) // files written behind finish in any order
	res.Rejected.Merge(&w.b.Rejected)
	res.Err = errors.Join(fetchErr, flushErr, behindErr)
	return res
}

// taskWriter gathers one period's candles in a builder and writes the
// period's file when the candles move on to the next period.
type taskWriter struct {
	ctx       context.Context
	r         *Runner
	t         Task
	res       *TaskResult
	b         *transform.Builder
	nowMs     int64
	lo, hi    int64 // the open times the current part of the range takes
	gaps      gapTracker
	period    string
	periodEnd int64
	pending   []arrow.RecordBatch // verified archive files of the period
	tel       *taskTelemetry

	// Writes behind the task (flushBehind): slots, the running ones, and
	// mu guarding what they report into res.
	behind     chan struct{}
	wg         sync.WaitGroup
	mu         sync.Mutex
	behindErrs []error
}

func (w *taskWriter) page(page []transform.RawKline) error {
	defer w.tel.pageDone(w, w.tel.pageStart(w))
	// Closed by now on both clocks: Runner.Now has learnt the exchange's
	// time from this very page's response.
	w.nowMs = w.r.Now().UnixMilli()
	for _, k := range page {
		if k.OpenTime < w.lo || k.OpenTime >= w.hi {
			continue
		}
		if k.CloseTime >= w.nowMs {
			w.res.OpenSkipped++ // still open: a later run stores it closed
			continue
		}
		w.saw(k.OpenTime)
		if w.period == "" || k.OpenTime >= w.periodEnd {
			if err := w.flush(w.ctx); err != nil {
				return err
			}
			w.period = w.t.Interval.Period(k.OpenTime)
			_, w.periodEnd = w.t.Interval.PeriodBounds(k.OpenTime)
		}
		if w.res.First == 0 {
			w.res.First = k.OpenTime
		}
		w.res.Last = k.OpenTime
		w.res.Fetched++
		w.b.AppendRaw(k)
	}
	return nil
}

// flush merges the gathered candles into the period's file and waits
// until it is written.
func (w *taskWriter) flush(ctx context.Context) error {
	job, err := w.take()
	if job.rec == nil || err != nil {
		return err
	}
	return w.write(ctx, job, true)
}

// flushBehind starts writing the gathered candles of a complete period
// (nothing more can join it) and returns at once, so the task goes on with
// the next file while this one is merged, encoded and synced to disk. At
// most maxWritesBehind writes run behind a task; wait collects them. A
// write that has started is finished even if the run is interrupted.
func (w *taskWriter) flushBehind() error {
	job, err := w.take()
	if job.rec == nil || err != nil {
		return err
	}
	w.behind <- struct{}{}
	w.wg.Add(1)
	go func() {
		defer func() { <-w.behind; w.wg.Done() }()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), finalFlushTimeout)
		defer cancel()
		if err := w.write(ctx, job, false); err != nil {
			w.mu.Lock()
			w.behindErrs = append(w.behindErrs, err)
			w.mu.Unlock()
		}
	}()
	return nil
}

// maxWritesBehind bounds the files one task writes in the background. Two
// keep both cores busy on a single-symbol backfill: with one, the decoded
// files waited for the previous write and the decoders stood idle
// (measured 3-8% faster; peak RSS unchanged under the soft memory limit).
const maxWritesBehind = 2

// wait waits for the writes behind the task and returns their errors.
func (w *taskWriter) wait() error {
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	err := errors.Join(w.behindErrs...)
	w.behindErrs = nil
	return err
}

// writeJob is one period's candles on their way to its file, with the
// gaps at Binance confirmed in the period.
type writeJob struct {
	key  storage.Key
	rec  arrow.RecordBatch
	gaps []storage.SourceGap
}

// take hands over the gathered candles; rec is nil when there are none.
func (w *taskWriter) take() (writeJob, error) {
	if w.b.Len() == 0 && len(w.pending) == 0 {
		return writeJob{}, nil
	}
	rec, err := w.takeRecord()
	if err != nil {
		return writeJob{}, err
	}
	return writeJob{key: w.t.Series().Key(w.period), rec: rec, gaps: w.takeGaps(w.periodStart(), w.periodEnd)}, nil
}

// write merges job into its file and counts the result. inline says the
// task waits for it (its time is then not the fetch's).
func (w *taskWriter) write(ctx context.Context, job writeJob, inline bool) error {
	defer job.rec.Release()
	sctx, stored := w.tel.storeStart(ctx, job.key.Path(), job.rec.NumRows(), inline)
	st, info, written, err := w.r.mergeWrite(sctx, job.key, job.rec, job.gaps)
	stored(err)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.res.Added += st.Added
	w.res.Replaced += st.Replaced
	if written {
		w.res.Files = append(w.res.Files, job.key.Path())
		w.res.Bytes += info.Size
		if w.r.Progress != nil {
			w.r.Progress.FileWritten(st.Added, info.Size)
		}
	}
	return nil
}

// finalFlushTimeout bounds writing the last period of an interrupted task.
const finalFlushTimeout = 30 * time.Second

// maxConflicts bounds re-merges when another writer keeps changing a file.
const maxConflicts = 8

// mergeWrite reads the stored file, merges rec (and the confirmed gaps)
// into it and writes it back conditionally; if another writer changed the
// file meanwhile it re-reads and re-merges. Nothing is written when the
// file already holds rec and gaps.
func (r *Runner) mergeWrite(ctx context.Context, key storage.Key, rec arrow.RecordBatch, gaps []storage.SourceGap) (transform.MergeStats, storage.ObjectInfo, bool, error) {
	iv, err := transform.ParseInterval(key.Interval)
	if err != nil {
		return transform.MergeStats{}, storage.ObjectInfo{}, false, err
	}
	for attempt := 0; ; attempt++ {
		old, stored, err := r.Sink.Read(ctx, key)
		cond := storage.Precondition{IfMatch: stored.Version}
		switch {
		case storage.IsNotExist(err):
			cond = storage.Precondition{IfNoneMatch: true}
		case errors.Is(err, storage.ErrPrecondition) && attempt < maxConflicts:
			// Replaced by another writer while being read (S3): read it again.
			continue
		case err != nil:
			return transform.MergeStats{}, storage.ObjectInfo{}, false, fmt.Errorf("stored file cannot be merged (left untouched): %w", err)
		}
		merged, st, err := transform.Merge(r.Mem, old, rec)
		if old != nil {
			old.Release()
		}
		if err != nil {
			return st, storage.ObjectInfo{}, false, err
		}
		gapsEntry, err := mergeGaps(iv, stored.Meta, gaps, merged)
		if err != nil {
			merged.Release()
			return st, storage.ObjectInfo{}, false, fmt.Errorf("stored file cannot be merged (left untouched): %s: %w", key.Path(), err)
		}
		if old != nil && st.Added == 0 && st.Replaced == 0 && gapsEntry == stored.Meta[storage.MetaSourceGaps] {
			merged.Release()
			return st, storage.ObjectInfo{}, false, nil
		}
		info, err := r.Sink.Write(ctx, key, merged, gapsMeta(gapsEntry), cond)
		merged.Release()
		if errors.Is(err, storage.ErrPrecondition) && attempt < maxConflicts {
			r.Logger.Info("file changed by another writer, merging again", "file", key.Path())
			continue
		}
		if err != nil {
			return st, info, false, err
		}
		return st, info, true, nil
	}
}
