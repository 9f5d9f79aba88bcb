package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Telemetry is what a run reports through: instruments, a tracer and the
// providers behind them. It is handed to components, never global.
type Telemetry struct {
	Logger  *slog.Logger
	Metrics *Metrics
	Tracer  trace.Tracer

	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider

	mp      *sdkmetric.MeterProvider
	tp      *sdktrace.TracerProvider
	prom    *http.Server
	promURL string
	digest  *sdkmetric.ManualReader
	cfg     Config
	warn    *warner
	stopped bool
}

// Noop is Telemetry that records nothing, for OTEL_SDK_DISABLED=true and
// as the fallback when the SDK cannot start.
func Noop(logger *slog.Logger) *Telemetry {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	mp := metricnoop.NewMeterProvider()
	m, _ := NewMetrics(mp) // noop instruments cannot fail
	tp := tracenoop.NewTracerProvider()
	return &Telemetry{Logger: logger, Metrics: m, Tracer: tp.Tracer(ScopeName), MeterProvider: mp, TracerProvider: tp}
}

// New starts the providers and exporters cfg asks for. It never fails the
// run: if the SDK cannot start it warns and returns Noop.
func New(ctx context.Context, cfg Config) *Telemetry {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Disabled() {
		return Noop(cfg.Logger)
	}
	t, err := start(ctx, cfg)
	if err != nil {
		cfg.Logger.Warn("telemetry disabled: the OpenTelemetry SDK could not start", "err", err)
		return Noop(cfg.Logger)
	}
	return t
}

func start(ctx context.Context, cfg Config) (*Telemetry, error) {
	t := &Telemetry{Logger: cfg.Logger, cfg: cfg, warn: newWarner(cfg.Logger)}
	installErrorHandler(t.warn)
	res := newResource(&cfg)
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithView(views(cfg.environment())...)}
	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	periodic := func(e sdkmetric.Exporter) sdkmetric.Option {
		return sdkmetric.WithReader(sdkmetric.NewPeriodicReader(e, sdkmetric.WithInterval(cfg.exportInterval()), sdkmetric.WithTimeout(cfg.exportTimeout())))
	}
	if cfg.otlpEnabled() {
		me, te, err := newOTLPExporters(ctx, &cfg)
		if err != nil {
			return nil, err
		}
		mopts = append(mopts, periodic(me))
		topts = append(topts, sdktrace.WithBatcher(te, sdktrace.WithExportTimeout(cfg.exportTimeout())))
		if plain := cfg.cleartextHeaders(); len(plain) > 0 {
			cfg.Logger.Warn("OTLP headers are sent unencrypted: use an https:// endpoint (or unset OTEL_EXPORTER_OTLP_INSECURE) to protect them",
				"exports", strings.Join(plain, ", "))
		}
	}
	if cfg.Console != nil {
		me, err := stdoutmetric.New(stdoutmetric.WithWriter(cfg.Console))
		if err != nil {
			return nil, fmt.Errorf("console metrics exporter: %w", err)
		}
		te, err := stdouttrace.New(stdouttrace.WithWriter(cfg.Console))
		if err != nil {
			return nil, fmt.Errorf("console span exporter: %w", err)
		}
		mopts = append(mopts, periodic(me))
		// Synchronous: a span shows on the console when it ends.
		topts = append(topts, sdktrace.WithSyncer(te))
		t.digest = sdkmetric.NewManualReader()
		mopts = append(mopts, sdkmetric.WithReader(t.digest))
	}
	if cfg.PrometheusAddr != "" {
		reader, srv, url, err := startPrometheus(cfg.PrometheusAddr, cfg.Logger)
		if err != nil {
			// A busy port must not cost the run its data or its other exporters.
			t.warn.warn("Prometheus endpoint not served", err)
		} else {
			mopts = append(mopts, sdkmetric.WithReader(reader))
			t.prom, t.promURL = srv, url
		}
	}
	for _, r := range cfg.Readers {
		mopts = append(mopts, sdkmetric.WithReader(r))
	}
	for _, sp := range cfg.SpanProcessors {
		topts = append(topts, sdktrace.WithSpanProcessor(sp))
	}
	t.mp = sdkmetric.NewMeterProvider(mopts...)
	t.tp = sdktrace.NewTracerProvider(topts...)
	t.MeterProvider, t.TracerProvider = t.mp, t.tp
	t.Tracer = t.tp.Tracer(ScopeName)
	m, err := NewMetrics(t.mp)
	if err != nil {
		return nil, errors.Join(err, t.mp.Shutdown(ctx), t.tp.Shutdown(ctx))
	}
	t.Metrics = m
	return t, nil
}

// PrometheusURL is where the metrics are served, "" if nowhere.
func (t *Telemetry) PrometheusURL() string { return t.promURL }

// Shutdown flushes every exporter and stops them, within timeout and
// regardless of ctx's cancellation (a SIGTERM must still flush). Failures
// are reported as one warning; they never fail the run. Later calls do
// nothing.
func (t *Telemetry) Shutdown(timeout time.Duration) {
	if t.mp == nil || t.stopped {
		return
	}
	t.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Spans first: their batcher may still hold the run's root span.
	if err := t.tp.Shutdown(ctx); err != nil {
		t.warn.warn("telemetry export failed", err)
	}
	if t.digest != nil {
		t.printDigest(ctx)
	}
	if err := t.mp.Shutdown(ctx); err != nil {
		t.warn.warn("telemetry export failed", err)
	}
	if t.prom != nil {
		t.prom.Shutdown(ctx)
	}
}
