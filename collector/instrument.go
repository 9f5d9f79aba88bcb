package collector

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// The Runner's telemetry lives here, beside the pipeline rather than in
// it: run.go calls a handful of hooks, each of which opens a span and
// records the stage's metrics when it ends.

// tel returns the run's Telemetry, a no-op one when none was given.
func (r *Runner) tel() *telemetry.Telemetry {
	if r.Telemetry == nil {
		r.Telemetry = telemetry.Noop(r.Logger)
	}
	return r.Telemetry
}

// instrumentRun opens the run's span and workflow; finish records the
// outcome, the symbols processed and ends both.
func (r *Runner) instrumentRun(ctx context.Context, tasks []Task) (context.Context, func([]TaskResult)) {
	t := r.tel()
	ctx, span := t.Tracer.Start(ctx, "collect", trace.WithAttributes(attribute.Int("lakehouse.tasks", len(tasks))))
	wf := t.Metrics.StartWorkflow("collect")
	t.Metrics.AddQueued(ctx, len(tasks))
	return ctx, func(results []TaskResult) {
		failed, ok := 0, map[string]bool{}
		for _, res := range results {
			sym := string(res.Task.Market) + "\x00" + res.Task.Symbol
			if res.Status == StatusFailed {
				failed++
				ok[sym] = false
			} else if _, seen := ok[sym]; !seen {
				ok[sym] = true
			}
		}
		for sym, good := range ok {
			if good {
				market, _, _ := strings.Cut(sym, "\x00")
				t.Metrics.RecordSymbolProcessed(ctx, market)
			}
		}
		wf.End(ctx, failed > 0 || ctx.Err() != nil)
		span.SetAttributes(attribute.Int("lakehouse.tasks.failed", failed))
		var err error
		if failed > 0 {
			err = errTasksFailed(failed, len(results))
		}
		telemetry.EndSpan(span, err)
	}
}

// taskTelemetry follows one task: its series recorder (the source kind
// is set by InstrumentSource) and the time spent transforming and storing,
// which happens inside the source's emit callback and is subtracted from
// the enclosing stages.
type taskTelemetry struct {
	t         *telemetry.Telemetry
	series    *telemetry.Recorder
	storeTime time.Duration
	// transformTime is the transform stage's share of the fetch call.
	transformTime time.Duration
}

// seriesID names the task's series in the data instruments: its dataset
// is the data_type, and a dataset without intervals has interval "" (which
// telemetry reports as telemetry.NoInterval).
func seriesID(t Task) telemetry.SeriesID {
	return telemetry.SeriesID{DataType: t.Data().Name, Market: string(t.Market), Symbol: t.Symbol, Interval: t.Interval.String()}
}

// intervalAttr is the interval span attribute, as the metrics spell it.
func intervalAttr(t Task) string {
	if t.Interval == "" {
		return telemetry.NoInterval
	}
	return t.Interval.String()
}

// storedUntil is the time (ms) the freshness gauge counts from once a
// task stored rows up to last (TaskResult.Last): the close of the candle
// opened at last, or for a dataset without intervals the time of that row.
func storedUntil(t Task, last int64) int64 {
	if t.Data().Intervals {
		return t.Interval.CloseTime(last)
	}
	return last
}

// resumedFrom is storedUntil for a task resumed from the lake: a kline
// task starts at the open after the newest stored candle, whose close is
// one millisecond before; a task of rows starts at the time of the newest
// stored row itself.
func resumedFrom(t Task) int64 {
	if t.Data().Intervals {
		return t.Start - 1
	}
	return t.Start
}

// instrumentTask opens the task's span; the returned func ends it with
// the task's result and updates freshness and the queue. Requests made
// with the returned context count their bytes under the task's dataset.
func (r *Runner) instrumentTask(ctx context.Context, task Task) (context.Context, *taskTelemetry, func(*TaskResult)) {
	t := r.tel()
	ctx, span := t.Tracer.Start(ctx, "task", trace.WithAttributes(
		attribute.String("lakehouse.data_type", task.Data().Name),
		attribute.String("market", string(task.Market)), attribute.String("symbol", task.Symbol),
		attribute.String("interval", intervalAttr(task)), attribute.String("lakehouse.start_from", task.From),
		attribute.Int64("lakehouse.start_ms", task.Start), attribute.Int64("lakehouse.end_ms", task.End)))
	id := seriesID(task)
	tt := &taskTelemetry{t: t, series: t.Metrics.Series(id, "api")}
	ctx = context.WithValue(ctx, taskTelemetryKey{}, tt)
	ctx = telemetry.WithDataType(ctx, id.DataType)
	if task.From == FromResume {
		t.Metrics.SetFreshness(id, resumedFrom(task))
	}
	return ctx, tt, func(res *TaskResult) {
		t.Metrics.AddQueued(ctx, -1)
		if res.Added+res.Replaced > 0 || (res.Fetched > 0 && res.Err == nil) {
			t.Metrics.SetFreshness(id, storedUntil(task, res.Last))
		}
		span.SetAttributes(attribute.String("lakehouse.status", res.Status), attribute.Int("lakehouse.rows.fetched", res.Fetched),
			attribute.Int("lakehouse.rows.added", res.Added), attribute.Int("lakehouse.rows.rejected", res.Rejected.Total()),
			attribute.Int("lakehouse.files.written", len(res.Files)))
		telemetry.EndSpan(span, res.Err)
	}
}

// InstrumentSource wraps src so that each Fetch is a fetch/<kind> span
// and a fetch stage measurement. Inside a Runner task it excludes the
// transform and store work the task does in emit, and counts what the
// task ingests under the source's kind.
func InstrumentSource(src Source, t *telemetry.Telemetry) Source {
	if t == nil {
		return src
	}
	return &instrumentedSource{next: src, t: t, kind: sourceKind(src)}
}

type instrumentedSource struct {
	next Source
	t    *telemetry.Telemetry
	kind string
}

func (s *instrumentedSource) Kind() string { return s.kind }

func (s *instrumentedSource) Fetch(ctx context.Context, task Task, emit func([]transform.RawKline) error) error {
	tt, _ := ctx.Value(taskTelemetryKey{}).(*taskTelemetry)
	if tt == nil {
		tt = &taskTelemetry{t: s.t}
	}
	tt.series = s.t.Metrics.Series(seriesID(task), s.kind)
	rows := 0
	counted := func(page []transform.RawKline) error {
		rows += len(page)
		return emit(page)
	}
	fctx, span := s.t.Tracer.Start(ctx, "fetch/"+s.kind, trace.WithAttributes(attribute.String("lakehouse.source", s.kind)))
	start, inner := time.Now(), tt.storeTime+tt.transformTime
	err := s.next.Fetch(fctx, task, counted)
	d := time.Since(start) - (tt.storeTime + tt.transformTime - inner)
	s.t.Metrics.RecordStage(ctx, "fetch_"+s.kind, d, rows)
	span.SetAttributes(attribute.Int("lakehouse.rows.received", rows))
	telemetry.EndSpan(span, err)
	return err
}

type taskTelemetryKey struct{}

// sourceKind names a Source for telemetry ("api", "archive"); a Source
// says so with a Kind method, REST is the default.
func sourceKind(src Source) string {
	if k, ok := src.(interface{ Kind() string }); ok {
		return k.Kind()
	}
	return "api"
}

// pageMark is the state of a task before a page is transformed.
type pageMark struct {
	start    time.Time
	store    time.Duration
	fetched  int
	rejected []transform.ReasonCount // the builder's counts before the page
}

func (tt *taskTelemetry) pageStart(w *taskWriter) pageMark {
	return pageMark{start: time.Now(), store: tt.storeTime, fetched: w.res.Fetched, rejected: w.b.Rejected.Counts()}
}

// pageDone records the transform of one page (validation into the Arrow
// builder): duration without any store it triggered, rows accepted, and
// rows rejected per error type (one measurement per type and page, not
// per row).
func (tt *taskTelemetry) pageDone(w *taskWriter, m pageMark) {
	ctx := w.ctx
	d := time.Since(m.start) - (tt.storeTime - m.store)
	tt.transformTime += d
	rejected := 0
	w.b.Rejected.CountsSince(m.rejected, func(reason string, n int) {
		rejected += n
		tt.t.Metrics.RecordRejected(ctx, w.t.Data().Name, "transform", reason, n)
	})
	rows := w.res.Fetched - m.fetched
	tt.t.Metrics.RecordStage(ctx, "transform", d, rows)
	tt.series.RecordIngested(ctx, rows-rejected)
	// One span per page (1000 candles), opened after the fact so that
	// nothing is traced per row.
	_, span := tt.t.Tracer.Start(ctx, "transform", trace.WithTimestamp(m.start),
		trace.WithAttributes(attribute.Int("lakehouse.rows", rows), attribute.Int("lakehouse.rows.rejected", rejected)))
	span.End()
}

func errTasksFailed(failed, total int) error {
	return fmt.Errorf("%d of %d tasks failed", failed, total)
}

// storeStart opens the store span of one file; the returned func ends it
// and records the store stage.
func (tt *taskTelemetry) storeStart(ctx context.Context, file string, rows int64, inline bool) (context.Context, func(error)) {
	ctx, span := tt.t.Tracer.Start(ctx, "store", trace.WithAttributes(attribute.String("lakehouse.file", file), attribute.Int64("lakehouse.rows", rows)))
	start := time.Now()
	return ctx, func(err error) {
		d := time.Since(start)
		if inline { // a write behind the task does not hold up its fetch
			tt.storeTime += d
		}
		tt.t.Metrics.RecordStage(ctx, "store", d, int(rows))
		telemetry.EndSpan(span, err)
	}
}

// instrumentArchiveFile opens the fetch/archive span of one zip (download,
// checksum, unzip, parse into Arrow); done records the stage, the rows it
// yielded and the rows validation rejected.
func (r *Runner) instrumentArchiveFile(ctx context.Context, f ArchiveFile) func(fileBatch) {
	t := r.tel()
	dataType := transform.Klines.Name
	if f.Data != nil {
		dataType = f.Data.Name
	}
	_, span := t.Tracer.Start(ctx, "fetch/archive", trace.WithAttributes(
		attribute.String("lakehouse.source", "archive"), attribute.String("lakehouse.file", f.Name())))
	start := time.Now()
	return func(fb fileBatch) {
		t.Metrics.RecordStage(ctx, "fetch_archive", time.Since(start), fb.stats.fetched)
		fb.rejected.CountsSince(nil, func(reason string, n int) {
			t.Metrics.RecordRejected(ctx, dataType, "transform", reason, n)
		})
		span.SetAttributes(attribute.Int("lakehouse.rows.received", fb.stats.fetched), attribute.Int("lakehouse.rows.rejected", fb.rejected.Total()))
		telemetry.EndSpan(span, fb.err)
	}
}

// archiveIngested counts a verified archive file's rows as ingested from
// the archive.
func (tt *taskTelemetry) archiveIngested(ctx context.Context, task Task, rows int) {
	tt.t.Metrics.Series(seriesID(task), "archive").RecordIngested(ctx, rows)
}
