package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// newTest starts Telemetry with a ManualReader and the given env.
func newTest(t *testing.T, cfg Config, env map[string]string) (*Telemetry, *sdkmetric.ManualReader) {
	t.Helper()
	r := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(OTLPTemporality))
	cfg.Readers = append(cfg.Readers, r)
	cfg.Getenv = func(k string) string { return env[k] }
	tel := New(context.Background(), cfg)
	t.Cleanup(func() { tel.Shutdown(time.Second) })
	return tel, r
}

func collect(t *testing.T, r *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

func names(rm metricdata.ResourceMetrics) map[string]bool {
	out := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = true
		}
	}
	return out
}

func TestDebugInstrumentsDroppedInProduction(t *testing.T) {
	cases := []struct {
		name     string
		cfg      Config
		env      map[string]string
		wantKept bool
	}{
		{"development by default", Config{}, nil, true},
		{"production from the flag", Config{Environment: "production"}, nil, false},
		{"production from DEPLOYMENT_ENV", Config{}, map[string]string{"DEPLOYMENT_ENV": "production"}, false},
		{"flag beats env", Config{Environment: "staging"}, map[string]string{"DEPLOYMENT_ENV": "production"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tel, r := newTest(t, tc.cfg, tc.env)
			c, err := tel.MeterProvider.Meter("test").Int64Counter("crypto_debug_pages")
			if err != nil {
				t.Fatal(err)
			}
			c.Add(context.Background(), 1)
			tel.Metrics.AddQueued(context.Background(), 1)
			got := names(collect(t, r))
			if got["crypto_debug_pages"] != tc.wantKept || !got[ProcessingQueueSize] {
				t.Fatalf("exported %v, want crypto_debug_pages kept=%v and the others always", got, tc.wantKept)
			}
		})
	}
}

func TestResource(t *testing.T) {
	env := map[string]string{"OTEL_SERVICE_NAME": "lake-prod", "DEPLOYMENT_ENV": "production", "K8S_NAMESPACE_NAME": "data", "K8S_POD_NAME": "collect-29-abcde"}
	cases := []struct {
		name string
		env  map[string]string
		want map[string]string
		not  []string
	}{
		{"defaults", nil, map[string]string{"service.name": DefaultServiceName, "service.version": "v1.2.3", "deployment.environment": "development",
			"crypto.exchange": "binance", "lakehouse.format": "parquet", "lakehouse.layers": "silver", "lakehouse.storage.backend": "s3"}, []string{"k8s.pod.name", "k8s.namespace.name"}},
		{"kubernetes", env, map[string]string{"service.name": "lake-prod", "deployment.environment": "production", "k8s.namespace.name": "data",
			"k8s.pod.name": "collect-29-abcde", "service.instance.id": "collect-29-abcde"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tel, r := newTest(t, Config{ServiceVersion: "v1.2.3", StorageBackend: "s3"}, tc.env)
			tel.Metrics.AddQueued(context.Background(), 1)
			res := collect(t, r).Resource
			for k, v := range tc.want {
				if got, ok := res.Set().Value(attribute.Key(k)); !ok || got.Emit() != v {
					t.Errorf("%s = %q, want %q", k, got.Emit(), v)
				}
			}
			for _, k := range tc.not {
				if _, ok := res.Set().Value(attribute.Key(k)); ok {
					t.Errorf("%s set without its env var", k)
				}
			}
			if id, _ := res.Set().Value("service.instance.id"); id.Emit() == "" {
				t.Error("no service.instance.id")
			}
		})
	}
}

func TestSDKDisabled(t *testing.T) {
	var logs bytes.Buffer
	tel, r := newTest(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Console: &logs, PrometheusAddr: "127.0.0.1:0"},
		map[string]string{"OTEL_SDK_DISABLED": "true"})
	tel.Metrics.AddQueued(context.Background(), 1)
	tel.Metrics.RecordAPIRequest(context.Background(), "/api/v3/klines", 200, time.Millisecond)
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err == nil {
		t.Error("the ManualReader was registered although OTEL_SDK_DISABLED=true")
	}
	if tel.PrometheusURL() != "" {
		t.Error("Prometheus served although OTEL_SDK_DISABLED=true")
	}
	tel.Shutdown(time.Second)
	if logs.Len() != 0 {
		t.Errorf("disabled telemetry wrote %q", logs.String())
	}
}

func TestDigest(t *testing.T) {
	var console bytes.Buffer
	tel, _ := newTest(t, Config{Console: &console, ExportInterval: time.Hour}, nil)
	ctx := context.Background()
	tel.Metrics.Series(SeriesID{DataType: "klines", Market: "spot", Symbol: "BTCUSDT", Interval: "1m"}, "api").RecordIngested(ctx, 1000)
	tel.Metrics.Series(SeriesID{DataType: "klines", Market: "spot", Symbol: "ETHUSDT", Interval: "1m"}, "api").RecordIngested(ctx, 500)
	tel.Metrics.RecordAPIRequest(ctx, "/api/v3/klines", 200, 50*time.Millisecond)
	_, span := tel.Tracer.Start(ctx, "collect")
	span.End()
	tel.Shutdown(time.Second)
	out := console.String()
	for _, want := range []string{"metrics digest:", DataIngested, "1500 {record} (2 series)", APIRequestDuration, "count 1", `"Name":"collect"`} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
}

// TestFreshnessDataType: a series without intervals reports interval
// NoInterval ("" and NoInterval are one series) and its data_type; the
// gauge is now minus the newest stored time.
func TestFreshnessDataType(t *testing.T) {
	tel, r := newTest(t, Config{}, nil)
	now := time.Date(2024, 3, 14, 12, 0, 0, 0, time.UTC)
	tel.Metrics.SetClock(func() time.Time { return now })
	tel.Metrics.SetFreshness(SeriesID{DataType: "trades", Market: "spot", Symbol: "BTCUSDT"}, now.Add(-90*time.Second).UnixMilli())
	tel.Metrics.SetFreshness(SeriesID{DataType: "trades", Market: "spot", Symbol: "BTCUSDT", Interval: NoInterval}, now.Add(-time.Hour).UnixMilli())
	tel.Metrics.SetFreshness(SeriesID{DataType: "klines", Market: "spot", Symbol: "BTCUSDT", Interval: "1m"}, now.Add(-time.Minute).UnixMilli())
	got := map[string]float64{}
	for _, sm := range collect(t, r).ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != DataFreshness {
				continue
			}
			for _, p := range m.Data.(metricdata.Gauge[float64]).DataPoints {
				dt, _ := p.Attributes.Value("data_type")
				iv, _ := p.Attributes.Value("interval")
				got[dt.AsString()+" "+iv.AsString()] = p.Value
			}
		}
	}
	want := map[string]float64{"trades none": 90, "klines 1m": 60}
	if len(got) != len(want) || got["trades none"] != 90 || got["klines 1m"] != 60 {
		t.Fatalf("freshness %v, want %v", got, want)
	}
}
