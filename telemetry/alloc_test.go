package telemetry

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// hotPath are the measurements made per request, batch or file.
func hotPath(m *Metrics) map[string]func() {
	ctx := context.Background()
	series := m.Series("spot", "BTCUSDT", "1m", "api")
	store := m.Storage("file")
	return map[string]func(){
		"api request":     func() { m.RecordAPIRequest(ctx, "/api/v3/klines", 200, 30*time.Millisecond) },
		"rate limit":      func() { m.RecordAPIRequest(ctx, "/api/v3/klines", 429, time.Millisecond) },
		"ingested":        func() { series.RecordIngested(ctx, 1000) },
		"volume":          func() { series.RecordVolume(ctx, 120_000) },
		"stage":           func() { m.RecordStage(ctx, "transform", time.Millisecond, 1000) },
		"rejected":        func() { m.RecordRejected(ctx, "transform", "ohlc", 1) },
		"storage write":   func() { store.Record(ctx, "write", StorageOK, "", time.Millisecond, 40_000) },
		"storage error":   func() { store.Record(ctx, "read", StorageError, "io_error", time.Millisecond, 0) },
		"queue":           func() { m.AddQueued(ctx, -1) },
		"symbol":          func() { m.RecordSymbolProcessed(ctx, "spot") },
		"freshness level": func() { m.SetFreshness("spot", "BTCUSDT", "1m", 1) },
	}
}

func newSDKMetrics(tb testing.TB) *Metrics {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()), sdkmetric.WithView(views("development")...))
	tb.Cleanup(func() { mp.Shutdown(context.Background()) })
	m, err := NewMetrics(mp)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestHotPathAllocatesNothing(t *testing.T) {
	m := newSDKMetrics(t)
	for name, f := range hotPath(m) {
		t.Run(name, func(t *testing.T) {
			f() // the first measurement builds the attribute set
			if n := testing.AllocsPerRun(200, f); n != 0 {
				t.Errorf("%v allocations per measurement, want 0", n)
			}
		})
	}
}

func BenchmarkHotPath(b *testing.B) {
	m := newSDKMetrics(b)
	for name, f := range hotPath(m) {
		b.Run(name, func(b *testing.B) {
			f()
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
		})
	}
}
