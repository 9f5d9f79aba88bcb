package collector

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// Telemetry of the tasks of datasets keyed by an id (trades, agg_trades),
// which rows_run.go, rows_rest.go and rows_write.go call: a span per
// archive file, REST tail and stored file, and measurements per file or
// batch, never per row. The task's own span, freshness and queue are
// instrumentTask's, as for klines.

// rowsFetchSpan opens the fetch/<source> span ("archive": one zip, from
// its CHECKSUM to its last batch; "api": the REST tail) of task t. done
// ends it with the rows the fetch handed to the writer and its error,
// recording the fetch_<source> stage (duration, throughput) and the rows
// as ingested from source under the task's series and data_type. The CSV
// or JSON is parsed into Arrow as it streams, so the stage includes that
// parsing; the file writes run beside it and have their own store spans.
// errRowsDone (the rows reached the task's end) and errNotPublished (the
// planner falls back to other files) are outcomes, not failures.
func (r *Runner) rowsFetchSpan(ctx context.Context, t Task, source string) (context.Context, func(rows int, err error)) {
	tel := r.tel()
	fctx, span := tel.Tracer.Start(ctx, "fetch/"+source, trace.WithAttributes(
		attribute.String("lakehouse.source", source), attribute.String("lakehouse.data_type", t.Data().Name)))
	series := tel.Metrics.Series(seriesID(t), source)
	start := time.Now()
	return fctx, func(rows int, err error) {
		tel.Metrics.RecordStage(ctx, "fetch_"+source, time.Since(start), rows)
		series.RecordIngested(ctx, rows)
		span.SetAttributes(attribute.Int("lakehouse.rows.received", rows))
		switch {
		case errors.Is(err, errRowsDone):
			err = nil
		case errors.Is(err, errNotPublished):
			span.SetAttributes(attribute.Bool("lakehouse.file.published", false))
			err = nil
		}
		telemetry.EndSpan(span, err)
	}
}

// rowsStoreSpan opens the store span of one file of task t (key: its
// path; rows: the rows it is given, 0 when not known yet); done ends it
// with the write's error and records the store stage.
func (r *Runner) rowsStoreSpan(ctx context.Context, t Task, key string, rows int64) (context.Context, func(err error)) {
	tel := r.tel()
	attrs := []attribute.KeyValue{attribute.String("lakehouse.file", key), attribute.String("lakehouse.data_type", t.Data().Name)}
	if rows > 0 {
		attrs = append(attrs, attribute.Int64("lakehouse.rows", rows))
	}
	sctx, span := tel.Tracer.Start(ctx, "store", trace.WithAttributes(attrs...))
	start := time.Now()
	return sctx, func(err error) {
		tel.Metrics.RecordStage(ctx, "store", time.Since(start), int(rows))
		telemetry.EndSpan(span, err)
	}
}

// rowsRejected records the rows of task t rejected since before was taken
// (after.Counts(), before a file or a page), one measurement per reason
// under the task's data_type: call it per file or page, never per row.
func (r *Runner) rowsRejected(ctx context.Context, t Task, before []transform.ReasonCount, after *transform.Rejections) {
	if after == nil {
		return
	}
	tel, dataType := r.tel(), t.Data().Name
	after.CountsSince(before, func(reason string, n int) {
		tel.Metrics.RecordRejected(ctx, dataType, "transform", reason, n)
	})
}
