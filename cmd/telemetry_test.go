package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/telemetry"
)

// specNames are the instruments of SPEC section 5, and the clock skew
// gauge of issue 16.
var specNames = []string{
	telemetry.ClockSkew,
	telemetry.DataIngested, telemetry.DataVolume, telemetry.APIRequests, telemetry.APIRequestDuration, telemetry.APIRateLimits,
	telemetry.ProcessingDuration, telemetry.ProcessingThroughput, telemetry.TransformationErrors, telemetry.StorageOperations,
	telemetry.StorageOperationDuration, telemetry.StorageObjectSize, telemetry.StorageErrors, telemetry.ProcessingQueueSize,
	telemetry.WorkflowExecutions, telemetry.WorkflowDuration, telemetry.WorkflowsActive, telemetry.DataFreshness,
	telemetry.SymbolsProcessed, telemetry.MemoryUsage, telemetry.ActiveConnections,
}

func TestBadTelemetryFlagsExit2(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--otlp-endpoint", "collector"}, `bad --otlp-endpoint "collector"`},
		{[]string{"--otlp-endpoint", "grpc://collector:4317"}, `bad --otlp-endpoint "grpc://collector:4317"`},
		{[]string{"--otlp-endpoint", "collector:otlp"}, `bad --otlp-endpoint "collector:otlp"`},
		{[]string{"--prometheus-addr", "9464"}, `bad --prometheus-addr "9464"`},
		{[]string{"--export-interval", "0s"}, "--export-interval 0s: must be positive"},
		{[]string{"--telemetry-timeout", "-1s"}, "--telemetry-timeout -1s: must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			r := run(t, nil, append([]string{"collect", "--symbols", "BTCUSDT", "--output", t.TempDir()}, tc.args...)...)
			if r.code != ExitUsage || strings.Count(r.err, "\n") != 1 || !strings.Contains(r.err, tc.want) {
				t.Fatalf("exit %d stderr %q, want 2 and one line with %q", r.code, r.err, tc.want)
			}
		})
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUnreachableCollectorIsOneWarning(t *testing.T) {
	fake := newFake(t)
	started := time.Now()
	r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--timeframes", "1h", "--start", "2024-03-14", "--output", t.TempDir(),
		"--binance-api-url", fake.URL(), "--source", "api", "--otlp-endpoint", closedPort(t), "--telemetry-timeout", "2s", "--export-timeout", "1s")
	if r.code != ExitOK {
		t.Fatalf("exit %d, want 0: %s", r.code, r.err)
	}
	if took := time.Since(started); took > 15*time.Second {
		t.Errorf("run took %v: the flush must be bounded by --telemetry-timeout", took)
	}
	if n := strings.Count(r.err, "level=WARN"); n != 1 || !strings.Contains(r.err, "telemetry export failed") {
		t.Fatalf("want exactly one telemetry warning, got %d:\n%s", n, r.err)
	}
}

func TestOTELSDKDisabled(t *testing.T) {
	fake := newFake(t)
	r := run(t, map[string]string{"OTEL_SDK_DISABLED": "true"}, "collect", "--symbols", "BTCUSDT", "--timeframes", "1h", "--start", "2024-03-14",
		"--output", t.TempDir(), "--binance-api-url", fake.URL(), "--source", "api", "--console-export", "--otlp-endpoint", closedPort(t))
	if r.code != ExitOK || strings.Contains(r.err, "digest") || strings.Contains(r.err, "WARN") {
		t.Fatalf("exit %d; disabled telemetry must print and warn nothing:\n%s", r.code, r.err)
	}
}

func TestConsoleExportKeepsJSONSummaryClean(t *testing.T) {
	fake := newFake(t)
	r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--timeframes", "1h", "--start", "2024-03-14", "--output", t.TempDir(),
		"--binance-api-url", fake.URL(), "--source", "api", "--console-export", "--summary", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var s jsonSummary
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("stdout is not the JSON summary alone: %v\n%s", err, r.out)
	}
	for _, want := range []string{"metrics digest:", telemetry.DataIngested, `"Name":"fetch/api"`, `"Name":"task"`, `"Name":"collect"`, `"Name":"` + telemetry.APIRequests + `"`} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

// syncBuffer lets a test read stderr while the run writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPrometheusScrapedDuringRun(t *testing.T) {
	fake := newFake(t)
	fake.Inject("/api/v3/klines", 1, binancetest.Slow(2*time.Second))
	addr := closedPort(t)
	var out, errb syncBuffer
	io := IO{Out: &out, Err: &errb, Now: func() time.Time { return testNow }, Getenv: func(string) string { return "" }}
	done := make(chan int)
	go func() {
		done <- Run(context.Background(), io, []string{"collect", "--symbols", "BTCUSDT", "--timeframes", "1h", "--start", "2024-03-14",
			"--output", t.TempDir(), "--binance-api-url", fake.URL(), "--source", "api", "--binance-archive-url", fake.URL(), "--prometheus-addr", addr})
	}()
	// Scrape until the run has made an API request, while it still runs
	// (the fake holds the klines request for 2s).
	var families map[string]int
	code := -1
	for code < 0 && families[telemetry.APIRequests] == 0 {
		select {
		case code = <-done:
			continue
		case <-time.After(20 * time.Millisecond):
		}
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		mf, err := parser.TextToMetricFamilies(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("parse exposition: %v", err)
		}
		families = map[string]int{}
		for name, f := range mf {
			families[name] = len(f.GetMetric())
			if name == telemetry.WorkflowsActive && f.GetMetric()[0].GetGauge().GetValue() != 1 {
				t.Errorf("%s = %v during the run, want 1", name, f.GetMetric()[0].GetGauge().GetValue())
			}
		}
	}
	if code < 0 {
		code = <-done
	}
	if code != ExitOK {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	if families == nil {
		t.Fatal("the endpoint never answered during the run")
	}
	for name := range families {
		if name != "target_info" && !containsString(specNames, name) {
			t.Errorf("exposition has %q, not a SPEC name", name)
		}
	}
	for _, want := range []string{telemetry.WorkflowsActive, telemetry.ProcessingQueueSize, telemetry.MemoryUsage, telemetry.APIRequests, telemetry.ClockSkew} {
		if families[want] == 0 {
			t.Errorf("%s missing during the run; have %v", want, families)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// uniqueService names this test's run so that its exports can be told
// apart in a collector shared with other tests.
func uniqueService(t *testing.T) string {
	return fmt.Sprintf("lakehouse-test-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}

// TestTelemetryDataType: a run of klines and agg_trades exports the data
// instruments with data_type and task spans with lakehouse.data_type (as
// the console exporter writes them).
func TestTelemetryDataType(t *testing.T) {
	fake := newFake(t, binancetest.WithTrades(binancetest.Spot, 3, "BTCUSDT"))
	r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--data", "klines,agg_trades", "--timeframes", "1h", "--start", "2024-03-15T06:00:00Z",
		"--output", t.TempDir(), "--binance-api-url", fake.URL(), "--source", "api", "--console-export", "--summary", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	attr := func(k, v string) string {
		return fmt.Sprintf(`{"Key":%q,"Value":{"Type":"STRING","Value":%q}}`, k, v)
	}
	for _, want := range []string{
		attr("data_type", "klines"), attr("data_type", "agg_trades"),
		attr("lakehouse.data_type", "klines"), attr("lakehouse.data_type", "agg_trades"),
		attr("interval", telemetry.NoInterval),
	} {
		if !strings.Contains(r.err, want) {
			t.Errorf("console export lacks %s", want)
		}
	}
}
