package telemetry

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// otlpEnv are the variables that choose an OTLP endpoint and its transport.
var otlpEnv = []string{
	"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_METRICS_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
	"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
}

// transportCases: flag and environment -> transport per signal, following
// the OpenTelemetry exporter spec. ADDR stands for the listener's address.
var transportCases = []struct {
	name           string
	flag           string
	env            map[string]string
	metrics, trace string // "tls" or "plaintext"
}{
	{"http URL", "http://ADDR", nil, "plaintext", "plaintext"},
	{"https URL", "https://ADDR", nil, "tls", "tls"},
	{"host:port is TLS", "ADDR", nil, "tls", "tls"},
	{"host:port with INSECURE", "ADDR", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "true"}, "plaintext", "plaintext"},
	{"host:port with METRICS_INSECURE", "ADDR", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_INSECURE": "TRUE"}, "plaintext", "tls"},
	{"TRACES_INSECURE=false beats INSECURE", "ADDR", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "true", "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "false"}, "plaintext", "tls"},
	{"https scheme beats INSECURE", "https://ADDR", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "true"}, "tls", "tls"},
	{"http scheme beats INSECURE=false", "http://ADDR", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "false"}, "plaintext", "plaintext"},
	{"env https beats INSECURE", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://ADDR", "OTEL_EXPORTER_OTLP_INSECURE": "true"}, "tls", "tls"},
	{"env http", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://ADDR"}, "plaintext", "plaintext"},
	{"env host:port is TLS", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ADDR"}, "tls", "tls"},
	{"env host:port with INSECURE", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ADDR", "OTEL_EXPORTER_OTLP_INSECURE": "true"}, "plaintext", "plaintext"},
	{"signal endpoints", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://ADDR", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://ADDR"}, "plaintext", "tls"},
	{"flag beats env endpoint", "ADDR", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://ADDR"}, "tls", "tls"},
}

func caseEnv(env map[string]string, addr string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = strings.ReplaceAll(v, "ADDR", addr)
	}
	return out
}

func wantScheme(transport string) string {
	if transport == "plaintext" {
		return "http://"
	}
	return "https://"
}

// TestOTLPTransportChoice checks the endpoint URL (its scheme is the
// transport) chosen for each signal.
func TestOTLPTransportChoice(t *testing.T) {
	const addr = "otel.example.com:4317"
	for _, tc := range transportCases {
		t.Run(tc.name, func(t *testing.T) {
			env := caseEnv(tc.env, addr)
			cfg := Config{OTLPEndpoint: strings.ReplaceAll(tc.flag, "ADDR", addr), Getenv: func(k string) string { return env[k] }}
			for signal, want := range map[string]string{signalMetrics: wantScheme(tc.metrics) + addr, signalTraces: wantScheme(tc.trace) + addr} {
				if got := cfg.otlpURL(signal); got != want {
					t.Errorf("%s: %q, want %q", signal, got, want)
				}
			}
		})
	}
	// Forms left to the SDK.
	for _, ep := range []string{"", "unix:///run/otel.sock", "dns:///collector:4317"} {
		env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep}
		cfg := Config{Getenv: func(k string) string { return env[k] }}
		if got := cfg.otlpURL(signalMetrics); got != "" {
			t.Errorf("endpoint %q: %q, want it left to the SDK", ep, got)
		}
	}
}

// wireProbe listens on loopback and reports how each connection starts: a
// TLS ClientHello (0x16) or the HTTP/2 preface of plaintext gRPC.
func wireProbe(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	seen := make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			b := make([]byte, 3)
			_, err = io.ReadFull(c, b)
			c.Close()
			switch {
			case err != nil:
				seen <- "nothing"
			case b[0] == 0x16:
				seen <- "tls"
			case string(b) == "PRI":
				seen <- "plaintext"
			default:
				seen <- "unknown"
			}
		}
	}()
	return ln.Addr().String(), seen
}

// TestOTLPTransportOnTheWire exports to a listener for each case and looks
// at the first bytes each exporter sends: what the SDK really does with
// the endpoint, the INSECURE variables and our options.
func TestOTLPTransportOnTheWire(t *testing.T) {
	rm := &metricdata.ResourceMetrics{Resource: resource.Empty(), ScopeMetrics: []metricdata.ScopeMetrics{{
		Scope:   instrumentation.Scope{Name: ScopeName},
		Metrics: []metricdata.Metrics{{Name: "probe", Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{Value: 1}}}}},
	}}}
	spans := tracetest.SpanStubs{{Name: "probe"}}.Snapshots()
	for _, tc := range transportCases {
		t.Run(tc.name, func(t *testing.T) {
			addr, seen := wireProbe(t)
			// The SDK reads the process environment itself.
			for _, k := range otlpEnv {
				t.Setenv(k, "")
			}
			for k, v := range caseEnv(tc.env, addr) {
				t.Setenv(k, v)
			}
			cfg := Config{OTLPEndpoint: strings.ReplaceAll(tc.flag, "ADDR", addr), Getenv: os.Getenv, ExportTimeout: 10 * time.Second}
			me, te, err := newOTLPExporters(context.Background(), &cfg)
			if err != nil {
				t.Fatal(err)
			}
			first := func(export func(context.Context) error) string {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { export(ctx); close(done) }()
				defer func() { cancel(); <-done }()
				select {
				case s := <-seen:
					return s
				case <-time.After(10 * time.Second):
					return "no connection"
				}
			}
			got := first(func(ctx context.Context) error { return me.Export(ctx, rm) })
			me.Shutdown(context.Background())
			if got != tc.metrics {
				t.Errorf("metrics: %s, want %s", got, tc.metrics)
			}
			got = first(func(ctx context.Context) error { return te.ExportSpans(ctx, spans) })
			te.Shutdown(context.Background())
			if got != tc.trace {
				t.Errorf("traces: %s, want %s", got, tc.trace)
			}
		})
	}
}

func TestWarnsOnceWhenHeadersGoInCleartext(t *testing.T) {
	cases := []struct {
		name, endpoint string
		env            map[string]string
		warn           bool
	}{
		{"http with headers", "http://192.0.2.1:4317", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Basic c2VjcmV0"}, true},
		{"INSECURE with signal headers", "192.0.2.1:4317", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "true", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "Authorization=Basic c2VjcmV0"}, true},
		{"https with headers", "https://192.0.2.1:4317", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Basic c2VjcmV0"}, false},
		{"host:port with headers", "192.0.2.1:4317", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Basic c2VjcmV0"}, false},
		{"http without headers", "http://192.0.2.1:4317", nil, false},
		{"http to loopback", "http://127.0.0.1:4317", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Basic c2VjcmV0"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			cfg := Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), OTLPEndpoint: tc.endpoint, ExportTimeout: 50 * time.Millisecond,
				Getenv: func(k string) string { return tc.env[k] }}
			New(context.Background(), cfg).Shutdown(50 * time.Millisecond)
			n := strings.Count(logs.String(), "OTLP headers are sent unencrypted")
			if (n == 1) != tc.warn || n > 1 || strings.Contains(logs.String(), "c2VjcmV0") {
				t.Errorf("%d warnings, want %v (and no header value):\n%s", n, tc.warn, logs.String())
			}
		})
	}
}
