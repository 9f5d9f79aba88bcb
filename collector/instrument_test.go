package collector_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// failingSink refuses the writes fail picks, like a read-only prefix.
type failingSink struct {
	storage.Sink
	fail func(storage.Key) bool
}

func (s failingSink) Write(ctx context.Context, key storage.Key, rec arrow.RecordBatch, meta map[string]string, cond storage.Precondition) (storage.ObjectInfo, error) {
	if s.fail(key) {
		return storage.ObjectInfo{}, fmt.Errorf("write %s: %w", key.Path(), fs.ErrPermission)
	}
	return s.Sink.Write(ctx, key, rec, meta, cond)
}

// instrumentedRun runs BTCUSDT and ETHUSDT 1h against the fake with one
// 429 and with ETHUSDT's writes failing, all telemetry recorded.
func instrumentedRun(t *testing.T) (metricdata.ResourceMetrics, []sdktrace.ReadOnlySpan, []collector.TaskResult) {
	e := newEnv(t)
	e.fake.Inject("/api/v3/klines", 1, binancetest.Status429(0))
	reader := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(telemetry.OTLPTemporality))
	spans := tracetest.NewSpanRecorder()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tel := telemetry.New(context.Background(), telemetry.Config{Logger: logger, Readers: []sdkmetric.Reader{reader}, SpanProcessors: []sdktrace.SpanProcessor{spans}})
	t.Cleanup(func() { tel.Shutdown(time.Second) })
	tel.Metrics.SetClock(func() time.Time { return now })

	ctx := context.Background()
	sink := storage.NewInstrumentedSink(failingSink{Sink: e.store, fail: func(k storage.Key) bool { return k.Symbol == "ETHUSDT" }}, tel.Metrics)
	req := collector.Request{Market: collector.Spot, Symbols: []string{"BTCUSDT", "ETHUSDT"}, Intervals: []transform.Interval{"1h"}, Start: now.Add(-6 * time.Hour)}
	tasks := collector.Plan(req, now)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = tel.Metrics.WrapDialer((&net.Dialer{}).DialContext)
	hc := collector.NewHTTPClient(collector.ClientOptions{Retry: fastRetry, Base: base, Wrap: func(next http.RoundTripper) http.RoundTripper {
		return tel.Metrics.WrapTransport(next, tel.Metrics.Volume("spot", "api"))
	}})
	src := collector.InstrumentSource(collector.NewRESTSource(ctx, req.Market, e.fake.URL(), hc, "BTCUSDT"), tel)
	r := &collector.Runner{
		Sink: sink, Mem: e.mem, Now: func() time.Time { return now }, Concurrency: 2, Logger: logger, Telemetry: tel,
		Source: func(collector.Market) collector.Source { return src },
	}
	results := r.Run(ctx, tasks)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	return rm, spans.Ended(), results
}

func TestRunTelemetry(t *testing.T) {
	rm, spans, results := instrumentedRun(t)
	if results[0].Status != collector.StatusOK || results[1].Status != collector.StatusFailed {
		t.Fatalf("want BTCUSDT ok and ETHUSDT failed, got %s / %s", results[0].Status, results[1].Status)
	}
	btc := results[0].Fetched
	delta, cumulative := metricdata.DeltaTemporality, metricdata.CumulativeTemporality
	kl := "/api/v3/klines"
	cases := []struct {
		name, unit  string
		temporality metricdata.Temporality // 0: a gauge
		bounds      []float64
		attrs       map[string]string // one data point has exactly these
		value       float64           // its value (sum, or count for histograms); -1: any > 0
	}{
		{telemetry.APIRequests, "{request}", delta, nil, map[string]string{"endpoint": kl, "status_code": "429"}, 1},
		{telemetry.APIRequests, "{request}", delta, nil, map[string]string{"endpoint": kl, "status_code": "200"}, 2},
		{telemetry.APIRateLimits, "{event}", delta, nil, map[string]string{"endpoint": kl, "status_code": "429"}, 1},
		{telemetry.APIRequestDuration, "s", delta, telemetry.APIDurationBuckets, map[string]string{"endpoint": kl}, 3},
		{telemetry.DataIngested, "{record}", delta, nil, map[string]string{"market": "spot", "symbol": "BTCUSDT", "interval": "1h", "source": "api", "data_type": "klines"}, float64(btc)},
		{telemetry.DataVolume, "By", delta, telemetry.BytesBuckets, map[string]string{"market": "spot", "source": "api", "data_type": "klines"}, -1},
		{telemetry.ProcessingDuration, "s", delta, telemetry.ProcessingDurationBuckets, map[string]string{"operation": "fetch_api"}, 2},
		{telemetry.ProcessingDuration, "s", delta, telemetry.ProcessingDurationBuckets, map[string]string{"operation": "store"}, 2},
		{telemetry.ProcessingDuration, "s", delta, telemetry.ProcessingDurationBuckets, map[string]string{"operation": "transform"}, 2},
		{telemetry.ProcessingThroughput, "{record}/s", delta, nil, map[string]string{"operation": "transform"}, 2},
		{telemetry.StorageOperations, "{operation}", delta, nil, map[string]string{"operation": "write", "status": "ok", "backend": "file"}, 1},
		{telemetry.StorageOperations, "{operation}", delta, nil, map[string]string{"operation": "write", "status": "error", "backend": "file"}, 1},
		{telemetry.StorageOperations, "{operation}", delta, nil, map[string]string{"operation": "read", "status": "not_found", "backend": "file"}, 2},
		{telemetry.StorageOperationDuration, "s", delta, telemetry.StorageDurationBuckets, map[string]string{"operation": "write", "backend": "file"}, 2},
		{telemetry.StorageObjectSize, "By", delta, telemetry.BytesBuckets, map[string]string{"backend": "file"}, 1},
		{telemetry.StorageErrors, "{error}", delta, nil, map[string]string{"operation": "write", "error_type": "permission_denied"}, 1},
		{telemetry.ProcessingQueueSize, "{task}", cumulative, nil, map[string]string{}, 0},
		{telemetry.WorkflowExecutions, "{execution}", delta, nil, map[string]string{"workflow": "collect", "status": "failure"}, 1},
		{telemetry.WorkflowDuration, "s", delta, nil, map[string]string{"workflow": "collect", "status": "failure"}, 1},
		{telemetry.SymbolsProcessed, "{symbol}", delta, nil, map[string]string{"market": "spot"}, 1},
		{telemetry.WorkflowsActive, "{workflow}", 0, nil, map[string]string{}, 0},
		// Newest stored close: 11:59:59.999 for a clock at 12:34:56.
		{telemetry.DataFreshness, "s", 0, nil, map[string]string{"market": "spot", "symbol": "BTCUSDT", "interval": "1h", "data_type": "klines"}, 2096.001},
		{telemetry.MemoryUsage, "By", 0, nil, map[string]string{}, -1},
		{telemetry.ActiveConnections, "{connection}", 0, nil, map[string]string{}, -1},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s%v", tc.name, tc.attrs), func(t *testing.T) {
			m, ok := findMetric(rm, tc.name)
			if !ok {
				t.Fatalf("%s not exported", tc.name)
			}
			if m.Unit != tc.unit {
				t.Errorf("unit %q, want %q", m.Unit, tc.unit)
			}
			pts := points(t, m, tc.temporality, tc.bounds)
			v, ok := pts[attrKey(tc.attrs)]
			if !ok {
				t.Fatalf("no data point with %v; have %v", tc.attrs, keys(pts))
			}
			if (tc.value < 0 && v <= 0) || (tc.value >= 0 && fmt.Sprintf("%.3f", v) != fmt.Sprintf("%.3f", tc.value)) {
				t.Errorf("value %v, want %v", v, tc.value)
			}
		})
	}
	if _, ok := findMetric(rm, telemetry.DataFreshness); ok {
		m, _ := findMetric(rm, telemetry.DataFreshness)
		if n := len(m.Data.(metricdata.Gauge[float64]).DataPoints); n != 1 {
			t.Errorf("freshness has %d series, want only BTCUSDT's (ETHUSDT stored nothing)", n)
		}
	}
	checkSpans(t, spans)
}

// checkSpans asserts the tree run -> task -> fetch/api, transform, store
// and that the failed task says so.
func checkSpans(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	if len(byName["collect"]) != 1 || len(byName["task"]) != 2 || len(byName["fetch/api"]) != 2 || len(byName["store"]) != 2 || len(byName["transform"]) < 2 {
		counts := map[string]int{}
		for k, v := range byName {
			counts[k] = len(v)
		}
		t.Fatalf("span counts %v", counts)
	}
	run := byName["collect"][0]
	if run.Status().Code != codes.Error {
		t.Errorf("run span status %v, want Error (a task failed)", run.Status())
	}
	tasks := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range byName["task"] {
		if s.Parent().SpanID() != run.SpanContext().SpanID() {
			t.Errorf("task span's parent is not the run span")
		}
		if dt, _ := spanAttr(s, "lakehouse.data_type"); dt.AsString() != "klines" {
			t.Errorf("task span lakehouse.data_type %q, want klines", dt.AsString())
		}
		for _, a := range s.Attributes() {
			if a.Key == "symbol" {
				tasks[s.SpanContext().SpanID().String()] = s
				if want := map[string]codes.Code{"BTCUSDT": codes.Unset, "ETHUSDT": codes.Error}[a.Value.AsString()]; s.Status().Code != want {
					t.Errorf("task %s status %v, want %v", a.Value.AsString(), s.Status().Code, want)
				}
			}
		}
	}
	for _, name := range []string{"fetch/api", "transform", "store"} {
		for _, s := range byName[name] {
			if _, ok := tasks[s.Parent().SpanID().String()]; !ok {
				t.Errorf("%s span's parent is not a task span", name)
			}
		}
	}
}

func spanAttr(s sdktrace.ReadOnlySpan, key attribute.Key) (attribute.Value, bool) {
	for _, a := range s.Attributes() {
		if a.Key == key {
			return a.Value, true
		}
	}
	return attribute.Value{}, false
}

func findMetric(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// points returns the data points by attribute key, checking the kind,
// temporality and bucket boundaries on the way.
func points(t *testing.T, m metricdata.Metrics, temp metricdata.Temporality, bounds []float64) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	checkTemp := func(got metricdata.Temporality) {
		if got != temp {
			t.Errorf("temporality %v, want %v", got, temp)
		}
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		checkTemp(d.Temporality)
		for _, p := range d.DataPoints {
			out[attrKey(attrMap(p.Attributes))] = float64(p.Value)
		}
	case metricdata.Histogram[float64]:
		checkTemp(d.Temporality)
		for _, p := range d.DataPoints {
			checkBounds(t, p.Bounds, bounds)
			out[attrKey(attrMap(p.Attributes))] = float64(p.Count)
		}
	case metricdata.Histogram[int64]:
		checkTemp(d.Temporality)
		for _, p := range d.DataPoints {
			checkBounds(t, p.Bounds, bounds)
			out[attrKey(attrMap(p.Attributes))] = float64(p.Count)
		}
	case metricdata.Gauge[int64]:
		checkTemp(0)
		for _, p := range d.DataPoints {
			out[attrKey(attrMap(p.Attributes))] = float64(p.Value)
		}
	case metricdata.Gauge[float64]:
		checkTemp(0)
		for _, p := range d.DataPoints {
			out[attrKey(attrMap(p.Attributes))] = p.Value
		}
	default:
		t.Fatalf("unexpected data type %T", m.Data)
	}
	return out
}

func checkBounds(t *testing.T, got, want []float64) {
	t.Helper()
	if want != nil && fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bucket boundaries %v, want %v", got, want)
	}
}

func attrMap(s attribute.Set) map[string]string {
	m := map[string]string{}
	for _, kv := range s.ToSlice() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

func attrKey(m map[string]string) string { return fmt.Sprint(m) }

func keys(m map[string]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
