package collector_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// Archive files are a fetch/archive span each and count as ingested from
// the archive.
func TestArchiveTelemetry(t *testing.T) {
	e := newEnv(t)
	reader := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(telemetry.OTLPTemporality))
	spans := tracetest.NewSpanRecorder()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tel := telemetry.New(context.Background(), telemetry.Config{Logger: logger, Readers: []sdkmetric.Reader{reader}, SpanProcessors: []sdktrace.SpanProcessor{spans}})
	t.Cleanup(func() { tel.Shutdown(time.Second) })
	ctx := context.Background()
	req := collector.Request{Market: collector.Spot, Symbols: []string{"BTCUSDT"}, Intervals: []transform.Interval{"1h"},
		Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	tasks := collector.Plan(req, now)
	r := &collector.Runner{
		Sink: e.store, Mem: e.mem, Now: func() time.Time { return now }, Concurrency: 1, Logger: logger, Telemetry: tel,
		Archive: collector.NewArchiveSource(e.fake.URL(), collector.NewArchiveHTTPClient(collector.ClientOptions{Retry: fastRetry}), nil),
		Mode:    collector.SourceArchive,
		Source:  func(collector.Market) collector.Source { t.Fatal("REST used for past months"); return nil },
	}
	res := r.Run(ctx, tasks)
	okResults(t, res)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	m, ok := findMetric(rm, telemetry.DataIngested)
	if !ok {
		t.Fatal("no ingested metric")
	}
	got := points(t, m, metricdata.DeltaTemporality, nil)
	key := attrKey(map[string]string{"market": "spot", "symbol": "BTCUSDT", "interval": "1h", "source": "archive", "data_type": "klines"})
	if got[key] != float64(res[0].Added) || res[0].Added != 60*24 {
		t.Fatalf("ingested from archive %v, want %d", got, res[0].Added)
	}
	files := 0
	for _, s := range spans.Ended() {
		if s.Name() == "fetch/archive" {
			files++
		}
	}
	if files != 2 {
		t.Fatalf("%d fetch/archive spans, want 2 (two monthly zips)", files)
	}
}
