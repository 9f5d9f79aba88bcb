package cmd

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
	"github.com/lakehouse-dev/lakehouse/telemetry"
)

// otlpCollector returns the endpoint and output folder of the collector
// that tools/otelcol/run-with.sh started, or skips the test.
func otlpCollector(t *testing.T) (endpoint, dir string) {
	t.Helper()
	endpoint, dir = os.Getenv("LAKEHOUSE_TEST_OTLP_ENDPOINT"), os.Getenv("LAKEHOUSE_TEST_OTLP_DIR")
	if endpoint == "" || dir == "" {
		testenv.Missing(t, testenv.OTLP, "LAKEHOUSE_TEST_OTLP_ENDPOINT/DIR unset")
	}
	return endpoint, dir
}

// The OTLP-JSON the collector's file exporter writes, as far as read here.
type otlpValue struct {
	StringValue string `json:"stringValue"`
}
type otlpResource struct {
	Attributes []struct {
		Key   string    `json:"key"`
		Value otlpValue `json:"value"`
	} `json:"attributes"`
}

func (r otlpResource) attr(k string) string {
	for _, a := range r.Attributes {
		if a.Key == k {
			return a.Value.StringValue
		}
	}
	return ""
}

type otlpAggregation struct {
	Temporality json.RawMessage `json:"aggregationTemporality"`
}

// temporality reads the enum, written as a number or a name.
func (a *otlpAggregation) temporality() string {
	if a == nil {
		return ""
	}
	switch string(a.Temporality) {
	case "1", `"AGGREGATION_TEMPORALITY_DELTA"`:
		return "delta"
	case "2", `"AGGREGATION_TEMPORALITY_CUMULATIVE"`:
		return "cumulative"
	}
	return string(a.Temporality)
}

type otlpMetric struct {
	Name      string           `json:"name"`
	Unit      string           `json:"unit"`
	Sum       *otlpAggregation `json:"sum"`
	Histogram *otlpAggregation `json:"histogram"`
	Gauge     *otlpAggregation `json:"gauge"`
}

type otlpMetricsLine struct {
	ResourceMetrics []struct {
		Resource     otlpResource `json:"resource"`
		ScopeMetrics []struct {
			Metrics []otlpMetric `json:"metrics"`
		} `json:"scopeMetrics"`
	} `json:"resourceMetrics"`
}

type otlpSpan struct {
	TraceID      string `json:"traceId"`
	SpanID       string `json:"spanId"`
	ParentSpanID string `json:"parentSpanId"`
	Name         string `json:"name"`
}

type otlpTracesLine struct {
	ResourceSpans []struct {
		Resource   otlpResource `json:"resource"`
		ScopeSpans []struct {
			Spans []otlpSpan `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

// readLines decodes every JSON line of file into a new T.
func readLines[T any](t *testing.T, file string) []T {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", filepath.Base(file), err)
		}
		out = append(out, v)
	}
	return out
}

// waitFor polls until ok or the collector's 100ms file flush is long past.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestOTLPExportReachesCollector(t *testing.T) {
	endpoint, dir := otlpCollector(t)
	fake := newFake(t)
	service := uniqueService(t)
	env := map[string]string{"OTEL_SERVICE_NAME": service, "DEPLOYMENT_ENV": "ci"}
	r := run(t, env, "collect", "--symbols", "BTCUSDT,ETHUSDT", "--timeframes", "1h", "--start", "2024-03-14", "--output", t.TempDir(),
		"--binance-api-url", fake.URL(), "--source", "api", "--otlp-endpoint", endpoint)
	if r.code != ExitOK || strings.Contains(r.err, "WARN") {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}

	// Metrics: every sent instrument with its unit and the temporality of
	// SPEC section 5 (delta for counters and histograms, cumulative for
	// the up-down counter).
	metrics := map[string]otlpMetric{}
	waitFor(t, "metrics of "+service, func() bool {
		for _, line := range readLines[otlpMetricsLine](t, filepath.Join(dir, "metrics.jsonl")) {
			for _, rm := range line.ResourceMetrics {
				if rm.Resource.attr("service.name") != service {
					continue
				}
				if got := rm.Resource.attr("deployment.environment"); got != "ci" {
					t.Errorf("deployment.environment %q", got)
				}
				for _, sm := range rm.ScopeMetrics {
					for _, m := range sm.Metrics {
						metrics[m.Name] = m
					}
				}
			}
		}
		return len(metrics) > 0
	})
	cases := []struct{ name, unit, kind, temporality string }{
		{telemetry.DataIngested, "{record}", "sum", "delta"},
		{telemetry.APIRequests, "{request}", "sum", "delta"},
		{telemetry.APIRequestDuration, "s", "histogram", "delta"},
		{telemetry.DataVolume, "By", "histogram", "delta"},
		{telemetry.StorageOperations, "{operation}", "sum", "delta"},
		{telemetry.StorageObjectSize, "By", "histogram", "delta"},
		{telemetry.ProcessingDuration, "s", "histogram", "delta"},
		{telemetry.WorkflowExecutions, "{execution}", "sum", "delta"},
		{telemetry.SymbolsProcessed, "{symbol}", "sum", "delta"},
		{telemetry.ProcessingQueueSize, "{task}", "sum", "cumulative"},
		{telemetry.DataFreshness, "s", "gauge", ""},
		{telemetry.MemoryUsage, "By", "gauge", ""},
	}
	for _, tc := range cases {
		m, ok := metrics[tc.name]
		if !ok {
			t.Errorf("%s not received", tc.name)
			continue
		}
		agg := map[string]*otlpAggregation{"sum": m.Sum, "histogram": m.Histogram, "gauge": m.Gauge}[tc.kind]
		if m.Unit != tc.unit || agg == nil {
			t.Errorf("%s: unit %q, %s %v; want unit %q", tc.name, m.Unit, tc.kind, agg != nil, tc.unit)
			continue
		}
		if tc.temporality != "" && agg.temporality() != tc.temporality {
			t.Errorf("%s: temporality %s, want %s", tc.name, agg.temporality(), tc.temporality)
		}
	}

	// Spans: one trace, run -> task -> phases.
	var spans []otlpSpan
	waitFor(t, "spans of "+service, func() bool {
		spans = spans[:0]
		for _, line := range readLines[otlpTracesLine](t, filepath.Join(dir, "traces.jsonl")) {
			for _, rs := range line.ResourceSpans {
				if rs.Resource.attr("service.name") == service {
					for _, ss := range rs.ScopeSpans {
						spans = append(spans, ss.Spans...)
					}
				}
			}
		}
		return len(spans) > 0
	})
	checkSpanTree(t, spans, 2)
}

// checkSpanTree asserts one collect span, tasks under it and fetch/api,
// transform and store spans under the tasks.
func checkSpanTree(t *testing.T, spans []otlpSpan, tasks int) {
	t.Helper()
	byID := map[string]otlpSpan{}
	count := map[string]int{}
	for _, s := range spans {
		byID[s.SpanID] = s
		count[s.Name]++
	}
	if count["collect"] != 1 || count["task"] != tasks || count["fetch/api"] < tasks || count["store"] < tasks || count["transform"] < tasks {
		t.Fatalf("span counts %v, want 1 collect, %d tasks with their phases", count, tasks)
	}
	want := map[string]string{"task": "collect", "fetch/api": "task", "transform": "task", "store": "task"}
	for _, s := range spans {
		if parent, ok := want[s.Name]; ok && byID[s.ParentSpanID].Name != parent {
			t.Errorf("%s span's parent is %q, want %q", s.Name, byID[s.ParentSpanID].Name, parent)
		}
		if s.TraceID != spans[0].TraceID {
			t.Errorf("span %s in another trace", s.Name)
		}
	}
}
