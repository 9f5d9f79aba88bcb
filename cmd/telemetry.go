package cmd

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/telemetry"
)

// telemetryOptions are the collect flags of SPEC section 5.
type telemetryOptions struct {
	otlpEndpoint   string
	exportInterval time.Duration
	exportTimeout  time.Duration
	timeout        time.Duration
	prometheusAddr string
	console        bool
	environment    string
}

func (t *telemetryOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&t.otlpEndpoint, "otlp-endpoint", "", "OTLP gRPC collector for metrics and traces: https://host:port (TLS), http://host:port (plaintext) or host:port (TLS unless OTEL_EXPORTER_OTLP_INSECURE=true) (default: OTEL_EXPORTER_OTLP_ENDPOINT; none: no OTLP export)")
	f.DurationVar(&t.exportInterval, "export-interval", telemetry.DefaultExportInterval, "how often metrics are exported over OTLP and to the console")
	f.DurationVar(&t.exportTimeout, "export-timeout", telemetry.DefaultExportTimeout, "time limit of one export")
	f.DurationVar(&t.timeout, "telemetry-timeout", 10*time.Second, "time limit for flushing metrics and spans at exit (also after SIGTERM)")
	f.StringVar(&t.prometheusAddr, "prometheus-addr", "", "serve Prometheus metrics at http://ADDR/metrics during the run, e.g. :9464")
	f.BoolVar(&t.console, "console-export", false, "print metrics and spans to stderr, and a metrics digest at the end")
	f.StringVar(&t.environment, "environment", "", "deployment.environment of the telemetry resource (default: DEPLOYMENT_ENV, else development); production drops crypto_debug_* metrics")
}

// validate checks the telemetry flags before anything runs.
func (t *telemetryOptions) validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--export-interval", t.exportInterval}, {"--export-timeout", t.exportTimeout}, {"--telemetry-timeout", t.timeout}} {
		if d.v <= 0 {
			return usageError("%s %s: must be positive", d.name, d.v)
		}
	}
	if ep := t.otlpEndpoint; ep != "" {
		if strings.Contains(ep, "://") {
			u, err := url.Parse(ep)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usageError("bad --otlp-endpoint %q: want host:port or http(s)://host:port", ep)
			}
		} else if !telemetry.IsHostPort(ep) {
			return usageError("bad --otlp-endpoint %q: want host:port or http(s)://host:port", ep)
		}
	}
	if a := t.prometheusAddr; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return usageError("bad --prometheus-addr %q: want [host]:port, e.g. :9464", a)
		}
	}
	return nil
}

// start sets up telemetry for a run; it never fails (see telemetry.New).
func (t *telemetryOptions) start(ctx context.Context, io IO, logger *slog.Logger, backend string) *telemetry.Telemetry {
	cfg := telemetry.Config{
		Logger:         logger,
		Getenv:         io.Getenv,
		ServiceVersion: Version(),
		Environment:    t.environment,
		StorageBackend: backend,
		Layers:         "silver",
		OTLPEndpoint:   t.otlpEndpoint,
		ExportInterval: t.exportInterval,
		ExportTimeout:  t.exportTimeout,
		PrometheusAddr: t.prometheusAddr,
	}
	if t.console {
		cfg.Console = io.Err
	}
	return telemetry.New(ctx, cfg)
}

// instrumentClient adds API metrics and connection counting to the
// options of a Binance HTTP client of market serving source ("api",
// "archive").
func instrumentClient(o collector.ClientOptions, tel *telemetry.Telemetry, market collector.Market, source string) collector.ClientOptions {
	vol := tel.Metrics.Volume(string(market), source)
	o.Wrap = func(next http.RoundTripper) http.RoundTripper { return tel.Metrics.WrapTransport(next, vol) }
	if o.Base == nil {
		base := http.DefaultTransport.(*http.Transport).Clone()
		base.MaxIdleConnsPerHost = 32
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		base.DialContext = tel.Metrics.WrapDialer(dialer.DialContext)
		o.Base = base
	}
	return o
}
