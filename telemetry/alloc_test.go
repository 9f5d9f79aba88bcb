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
	series := m.Series(SeriesID{DataType: "klines", Market: "spot", Symbol: "BTCUSDT", Interval: "1m"}, "api")
	trades := m.Series(SeriesID{DataType: "trades", Market: "spot", Symbol: "BTCUSDT"}, "archive")
	transport := m.Volume("spot", "archive")
	tradesCtx := WithDataType(ctx, "trades")
	tradesZip := "/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip"
	store := m.Storage("file")
	return map[string]func(){
		"api request":     func() { m.RecordAPIRequest(ctx, "/api/v3/klines", 200, 30*time.Millisecond) },
		"rate limit":      func() { m.RecordAPIRequest(ctx, "/api/v3/klines", 429, time.Millisecond) },
		"archive request": func() { m.recordRequestPath(ctx, tradesZip, 200, 30*time.Millisecond) },
		"ingested":        func() { series.RecordIngested(ctx, 1000) },
		"ingested trades": func() { trades.RecordIngested(ctx, 1000) },
		"volume":          func() { series.RecordVolume(ctx, 120_000) },
		"volume by ctx":   func() { transport.RecordVolume(tradesCtx, 120_000) },
		"volume by path": func() {
			transport.recordVolume(ctx, dataTypeOf(ctx, tradesZip), 120_000)
		},
		"stage":         func() { m.RecordStage(ctx, "transform", time.Millisecond, 1000) },
		"rejected":      func() { m.RecordRejected(ctx, "trades", "transform", "parse", 1) },
		"storage write": func() { store.Record(ctx, "write", StorageOK, "", time.Millisecond, 40_000) },
		"storage error": func() { store.Record(ctx, "read", StorageError, "io_error", time.Millisecond, 0) },
		"queue":         func() { m.AddQueued(ctx, -1) },
		"symbol":        func() { m.RecordSymbolProcessed(ctx, "spot") },
		"freshness level": func() {
			m.SetFreshness(SeriesID{DataType: "klines", Market: "spot", Symbol: "BTCUSDT", Interval: "1m"}, 1)
		},
		"freshness trades": func() {
			m.SetFreshness(SeriesID{DataType: "trades", Market: "spot", Symbol: "BTCUSDT"}, 1)
		},
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
