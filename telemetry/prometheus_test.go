package telemetry

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// recordAll makes every instrument of SPEC section 5 report something.
func recordAll(m *Metrics) {
	ctx := context.Background()
	m.RecordAPIRequest(ctx, "/api/v3/klines", 200, 30*time.Millisecond)
	m.RecordAPIRequest(ctx, "/api/v3/klines", 429, 5*time.Millisecond)
	s := m.Series(SeriesID{DataType: "klines", Market: "spot", Symbol: "BTCUSDT", Interval: "1m"}, "api")
	s.RecordIngested(ctx, 1000)
	s.RecordVolume(ctx, 150_000)
	m.RecordStage(ctx, "transform", 2*time.Millisecond, 1000)
	m.RecordRejected(ctx, "klines", "transform", "ohlc", 1)
	m.Storage("file").Record(ctx, "write", StorageOK, "", 20*time.Millisecond, 40_000)
	m.Storage("file").Record(ctx, "write", StorageError, "io_error", time.Millisecond, 0)
	m.AddQueued(ctx, 2)
	wf := m.StartWorkflow("collect")
	m.SetFreshness(SeriesID{DataType: "klines", Market: "spot", Symbol: "BTCUSDT", Interval: "1m"}, time.Now().Add(-time.Minute).UnixMilli())
	m.RecordSymbolProcessed(ctx, "spot")
	wf.End(ctx, false)
}

func TestPrometheusNamesExact(t *testing.T) {
	tel, _ := newTest(t, Config{PrometheusAddr: "127.0.0.1:0"}, nil)
	if tel.PrometheusURL() == "" {
		t.Fatal("Prometheus endpoint not started")
	}
	recordAll(tel.Metrics)
	resp, err := http.Get(tel.PrometheusURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	want := map[string]dto.MetricType{
		DataIngested: dto.MetricType_COUNTER, DataVolume: dto.MetricType_HISTOGRAM,
		APIRequests: dto.MetricType_COUNTER, APIRequestDuration: dto.MetricType_HISTOGRAM, APIRateLimits: dto.MetricType_COUNTER,
		ProcessingDuration: dto.MetricType_HISTOGRAM, ProcessingThroughput: dto.MetricType_HISTOGRAM, TransformationErrors: dto.MetricType_COUNTER,
		StorageOperations: dto.MetricType_COUNTER, StorageOperationDuration: dto.MetricType_HISTOGRAM,
		StorageObjectSize: dto.MetricType_HISTOGRAM, StorageErrors: dto.MetricType_COUNTER,
		ProcessingQueueSize: dto.MetricType_GAUGE, WorkflowExecutions: dto.MetricType_COUNTER, WorkflowDuration: dto.MetricType_HISTOGRAM,
		WorkflowsActive: dto.MetricType_GAUGE, DataFreshness: dto.MetricType_GAUGE, SymbolsProcessed: dto.MetricType_COUNTER,
		MemoryUsage: dto.MetricType_GAUGE, ActiveConnections: dto.MetricType_GAUGE,
	}
	var got []string
	for name, f := range families {
		got = append(got, name)
		wt, ok := want[name]
		if !ok {
			if name != "target_info" {
				t.Errorf("unexpected family %q (%v)", name, f.GetType())
			}
			continue
		}
		if f.GetType() != wt {
			t.Errorf("%s is %v, want %v", name, f.GetType(), wt)
		}
	}
	for name := range want {
		if !slices.Contains(got, name) {
			t.Errorf("%s missing from the exposition; got %v", name, got)
		}
	}
	// Cumulative for Prometheus: a second scrape still shows the counts.
	ingested := families[DataIngested].GetMetric()
	if len(ingested) != 1 || ingested[0].GetCounter().GetValue() != 1000 {
		t.Errorf("%s = %v, want one series of 1000", DataIngested, ingested)
	}
	for _, l := range ingested[0].GetLabel() {
		if l.GetName() == "symbol" && l.GetValue() != "BTCUSDT" {
			t.Errorf("symbol label %q", l.GetValue())
		}
	}
}

func TestPrometheusBusyPortIsAWarning(t *testing.T) {
	first, _ := newTest(t, Config{PrometheusAddr: "127.0.0.1:0"}, nil)
	addr := first.PrometheusURL()[len("http://") : len(first.PrometheusURL())-len("/metrics")]
	second, r := newTest(t, Config{PrometheusAddr: addr}, nil)
	if second.PrometheusURL() != "" {
		t.Fatal("second endpoint on a busy port")
	}
	second.Metrics.AddQueued(context.Background(), 1)
	if !names(collect(t, r))[ProcessingQueueSize] {
		t.Fatal("the other readers must keep working")
	}
}
