package collector

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// rowsTelemetry is a Runner whose telemetry goes to a ManualReader and a
// span recorder, its freshness clock at 2024-03-15 12:00.
func rowsTelemetry(t *testing.T) (*Runner, *sdkmetric.ManualReader, *tracetest.SpanRecorder, time.Time) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tel := telemetry.New(context.Background(), telemetry.Config{Logger: logger, Readers: []sdkmetric.Reader{reader}, SpanProcessors: []sdktrace.SpanProcessor{spans}})
	t.Cleanup(func() { tel.Shutdown(time.Second) })
	clock := time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)
	tel.Metrics.SetClock(func() time.Time { return clock })
	return &Runner{Logger: logger, Telemetry: tel}, reader, spans, clock
}

func rowsMetric(t *testing.T, reader *sdkmetric.ManualReader, name string) metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
		}
	}
	t.Fatalf("%s not exported", name)
	return metricdata.Metrics{}
}

// seriesAttrs are the attributes of the ingested counter for a spot
// BTCUSDT trades series from source.
func seriesAttrs(source string) attribute.Set {
	return attribute.NewSet(attribute.String("market", "spot"), attribute.String("symbol", "BTCUSDT"),
		attribute.String("interval", telemetry.NoInterval), attribute.String("source", source), attribute.String("data_type", "trades"))
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, a := range s.Attributes() {
		if string(a.Key) == key {
			return a.Value, true
		}
	}
	return attribute.Value{}, false
}

var tradesTask = Task{Dataset: transform.TradesData, Market: Spot, Symbol: "BTCUSDT",
	Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), End: time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC).UnixMilli()}

// TestRowsFetchSpan: a fetch/<source> span per archive file or REST tail,
// the fetch stage, and the rows ingested per source with data_type; the
// end of the range and a file not published are no failures.
func TestRowsFetchSpan(t *testing.T) {
	r, reader, spans, _ := rowsTelemetry(t)
	ctx, _, endTask := r.instrumentTask(context.Background(), tradesTask)
	for _, f := range []struct {
		source string
		rows   int
		err    error
	}{
		{"archive", 1000, nil},
		{"archive", 0, errNotPublished},
		{"archive", 700, errRowsDone},
		{"api", 500, nil},
		{"api", 3, errors.New("connection reset")},
	} {
		fctx, done := r.rowsFetchSpan(ctx, tradesTask, f.source)
		if !oteltrace.SpanContextFromContext(fctx).IsValid() {
			t.Fatal("rowsFetchSpan returned a context without its span")
		}
		done(f.rows, f.err)
	}
	endTask(&TaskResult{Task: tradesTask, Status: StatusFailed, Err: errors.New("connection reset")})

	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name: telemetry.DataIngested, Description: rowsMetric(t, reader, telemetry.DataIngested).Description, Unit: "{record}",
		Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: []metricdata.DataPoint[int64]{
			{Attributes: seriesAttrs("archive"), Value: 1700},
			{Attributes: seriesAttrs("api"), Value: 503},
		}},
	}, rowsMetric(t, reader, telemetry.DataIngested), metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())

	stages := map[string]uint64{}
	for _, p := range rowsMetric(t, reader, telemetry.ProcessingDuration).Data.(metricdata.Histogram[float64]).DataPoints {
		op, _ := p.Attributes.Value("operation")
		stages[op.AsString()] = p.Count
	}
	if stages["fetch_archive"] != 3 || stages["fetch_api"] != 2 || len(stages) != 2 {
		t.Errorf("fetch stages %v, want fetch_archive 3, fetch_api 2", stages)
	}

	var task sdktrace.ReadOnlySpan
	var fetches []sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		switch s.Name() {
		case "task":
			task = s
		case "fetch/archive", "fetch/api":
			fetches = append(fetches, s)
		}
	}
	if task == nil || len(fetches) != 5 {
		t.Fatalf("task span %v, %d fetch spans, want one and 5", task != nil, len(fetches))
	}
	if v, _ := spanAttr(task, "lakehouse.data_type"); v.AsString() != "trades" {
		t.Errorf("task span lakehouse.data_type %q, want trades", v.AsString())
	}
	if v, _ := spanAttr(task, "interval"); v.AsString() != telemetry.NoInterval {
		t.Errorf("task span interval %q, want %q", v.AsString(), telemetry.NoInterval)
	}
	for i, s := range fetches {
		if s.Parent().SpanID() != task.SpanContext().SpanID() {
			t.Errorf("fetch span %d's parent is not the task span", i)
		}
		if v, _ := spanAttr(s, "lakehouse.data_type"); v.AsString() != "trades" {
			t.Errorf("fetch span %d lakehouse.data_type %q", i, v.AsString())
		}
		want := codes.Unset
		if i == 4 {
			want = codes.Error
		}
		if s.Status().Code != want {
			t.Errorf("fetch span %d (%s) status %v, want %v", i, s.Name(), s.Status(), want)
		}
	}
	if v, ok := spanAttr(fetches[1], "lakehouse.file.published"); !ok || v.AsBool() {
		t.Errorf("a file not published says lakehouse.file.published=%v (set %v), want false", v.AsBool(), ok)
	}
	if v, _ := spanAttr(fetches[0], "lakehouse.rows.received"); v.AsInt64() != 1000 {
		t.Errorf("rows received %d, want 1000", v.AsInt64())
	}
}

// TestRowsStoreSpan: a store span per file, under the task, with the
// store stage; a failed write is an Error span.
func TestRowsStoreSpan(t *testing.T) {
	r, reader, spans, _ := rowsTelemetry(t)
	ctx, _, endTask := r.instrumentTask(context.Background(), tradesTask)
	key := "silver/trades/market=spot/symbol=BTCUSDT/2024-03-01.parquet"
	sctx, done := r.rowsStoreSpan(ctx, tradesTask, key, 1500)
	if !oteltrace.SpanContextFromContext(sctx).IsValid() {
		t.Fatal("rowsStoreSpan returned a context without its span")
	}
	done(nil)
	_, done = r.rowsStoreSpan(ctx, tradesTask, key, 0)
	done(errors.New("disk full"))
	endTask(&TaskResult{Task: tradesTask, Status: StatusOK})

	var stores []sdktrace.ReadOnlySpan
	var task sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		switch s.Name() {
		case "store":
			stores = append(stores, s)
		case "task":
			task = s
		}
	}
	if len(stores) != 2 || task == nil {
		t.Fatalf("%d store spans, task span %v", len(stores), task != nil)
	}
	for i, s := range stores {
		if s.Parent().SpanID() != task.SpanContext().SpanID() {
			t.Errorf("store span %d's parent is not the task span", i)
		}
		if v, _ := spanAttr(s, "lakehouse.file"); v.AsString() != key {
			t.Errorf("store span %d file %q", i, v.AsString())
		}
	}
	if v, _ := spanAttr(stores[0], "lakehouse.rows"); v.AsInt64() != 1500 {
		t.Errorf("store span rows %d, want 1500", v.AsInt64())
	}
	if _, ok := spanAttr(stores[1], "lakehouse.rows"); ok {
		t.Error("a store of rows not known yet claims a row count")
	}
	if stores[0].Status().Code != codes.Unset || stores[1].Status().Code != codes.Error {
		t.Errorf("store statuses %v, %v; want Unset, Error", stores[0].Status(), stores[1].Status())
	}
	for _, p := range rowsMetric(t, reader, telemetry.ProcessingDuration).Data.(metricdata.Histogram[float64]).DataPoints {
		if op, _ := p.Attributes.Value("operation"); op.AsString() != "store" || p.Count != 2 {
			t.Errorf("stage %s recorded %d times, want only store, twice", op.AsString(), p.Count)
		}
	}
}

// TestRowsRejected: only the rejections since the snapshot count, one
// data point per reason with the task's data_type.
func TestRowsRejected(t *testing.T) {
	r, reader, _, _ := rowsTelemetry(t)
	ctx := context.Background()
	var rej transform.Rejections
	for range 4 {
		rej.Add(&transform.RowError{Type: transform.ErrParse})
	}
	before := rej.Counts()
	for range 2 {
		rej.Add(&transform.RowError{Type: transform.ErrParse})
	}
	rej.Add(&transform.RowError{Type: transform.ErrPrice})
	r.rowsRejected(ctx, tradesTask, before, &rej)
	r.rowsRejected(ctx, tradesTask, rej.Counts(), &rej) // nothing new
	r.rowsRejected(ctx, tradesTask, nil, nil)

	attrs := func(reason string) attribute.Set {
		return attribute.NewSet(attribute.String("operation", "transform"), attribute.String("error_type", reason), attribute.String("data_type", "trades"))
	}
	got := rowsMetric(t, reader, telemetry.TransformationErrors)
	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name: telemetry.TransformationErrors, Description: got.Description, Unit: "{error}",
		Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: []metricdata.DataPoint[int64]{
			{Attributes: attrs(transform.ErrParse), Value: 2},
			{Attributes: attrs(transform.ErrPrice), Value: 1},
		}},
	}, got, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// TestRowsFreshness: a trades task resumed from the lake starts at the
// time of the newest stored row, and after the task the newest row
// fetched (TaskResult.Last) is what freshness counts from.
func TestRowsFreshness(t *testing.T) {
	r, reader, _, clock := rowsTelemetry(t)
	resumed := tradesTask
	resumed.From, resumed.Start = FromResume, clock.Add(-2*time.Hour).UnixMilli()
	fresh := func() map[string]float64 {
		out := map[string]float64{}
		for _, p := range rowsMetric(t, reader, telemetry.DataFreshness).Data.(metricdata.Gauge[float64]).DataPoints {
			if p.Attributes.Equals(&freshAttrs) {
				out["trades"] = p.Value
			} else {
				out[p.Attributes.Encoded(attribute.DefaultEncoder())] = p.Value
			}
		}
		return out
	}
	_, _, endTask := r.instrumentTask(context.Background(), resumed)
	if got := fresh(); len(got) != 1 || got["trades"] != 7200 {
		t.Fatalf("freshness after resume %v, want trades 7200 s", got)
	}
	endTask(&TaskResult{Task: resumed, Status: StatusOK, Fetched: 10, Added: 10,
		First: clock.Add(-time.Hour).UnixMilli(), Last: clock.Add(-90 * time.Second).UnixMilli()})
	if got := fresh(); len(got) != 1 || got["trades"] != 90 {
		t.Fatalf("freshness after the task %v, want trades 90 s", got)
	}

	// Klines keep the close of the newest candle.
	kl := Task{Market: Spot, Symbol: "BTCUSDT", Interval: "1h", From: FromResume, Start: clock.Add(-time.Hour).UnixMilli()}
	_, _, endTask = r.instrumentTask(context.Background(), kl)
	endTask(&TaskResult{Task: kl})
	klAttrs := attribute.NewSet(attribute.String("market", "spot"), attribute.String("symbol", "BTCUSDT"),
		attribute.String("interval", "1h"), attribute.String("data_type", "klines"))
	if got := fresh()[klAttrs.Encoded(attribute.DefaultEncoder())]; got != 3600.001 {
		t.Errorf("klines freshness %v, want 3600.001 (close 1 ms before the start)", got)
	}
}

var freshAttrs = attribute.NewSet(attribute.String("market", "spot"), attribute.String("symbol", "BTCUSDT"),
	attribute.String("interval", telemetry.NoInterval), attribute.String("data_type", "trades"))
