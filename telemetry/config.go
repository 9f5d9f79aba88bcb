package telemetry

import (
	"io"
	"log/slog"
	"strings"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Config says what a run exports and how it describes itself.
type Config struct {
	Logger *slog.Logger
	// Getenv reads the environment (OTEL_*, DEPLOYMENT_ENV, K8S_*); tests
	// inject a map. Nil means no environment.
	Getenv func(string) string

	ServiceVersion string
	// Environment is deployment.environment; empty: DEPLOYMENT_ENV, else
	// "development".
	Environment string
	// StorageBackend ("file", "s3") and Layers ("silver", "bronze,silver")
	// describe the lake in the resource.
	StorageBackend string
	Layers         string

	// OTLPEndpoint enables OTLP gRPC metrics and traces: http://host:port
	// is plaintext, https://host:port TLS, and a scheme-less host:port TLS
	// unless OTEL_EXPORTER_OTLP_INSECURE (or _METRICS_/_TRACES_INSECURE) is
	// true (otlp.go). Empty: enabled only when an
	// OTEL_EXPORTER_OTLP_*ENDPOINT variable is set, by the same rule. The
	// SDK exporters read the other OTEL_EXPORTER_OTLP_* variables
	// (headers, certificates) themselves.
	OTLPEndpoint   string
	ExportInterval time.Duration // default 5s
	ExportTimeout  time.Duration // default 30s

	// PrometheusAddr, if set, serves /metrics there (e.g. ":9464").
	PrometheusAddr string
	// Console, if set, receives the stdout exporters' output (stderr in
	// the CLI, so that a JSON summary on stdout stays clean) and the
	// end-of-run digest.
	Console io.Writer

	// Readers and SpanProcessors are added as they are: tests attach a
	// ManualReader and a span recorder here.
	Readers        []sdkmetric.Reader
	SpanProcessors []sdktrace.SpanProcessor
}

// Default export settings (SPEC section 5).
const (
	DefaultExportInterval = 5 * time.Second
	DefaultExportTimeout  = 30 * time.Second
	DefaultServiceName    = "crypto-data-lakehouse"
)

func (c *Config) env(key string) string {
	if c.Getenv == nil {
		return ""
	}
	return strings.TrimSpace(c.Getenv(key))
}

// Disabled reports whether OTEL_SDK_DISABLED=true turns telemetry off.
func (c *Config) Disabled() bool {
	return strings.EqualFold(c.env("OTEL_SDK_DISABLED"), "true")
}

// environment is deployment.environment: the flag, DEPLOYMENT_ENV, or
// "development".
func (c *Config) environment() string {
	if c.Environment != "" {
		return c.Environment
	}
	if e := c.env("DEPLOYMENT_ENV"); e != "" {
		return e
	}
	return "development"
}

// otlpEnabled reports whether an OTLP exporter is configured by flag or env.
func (c *Config) otlpEnabled() bool {
	if c.OTLPEndpoint != "" {
		return true
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if c.env(k) != "" {
			return true
		}
	}
	return false
}

func (c *Config) exportInterval() time.Duration {
	if c.ExportInterval > 0 {
		return c.ExportInterval
	}
	return DefaultExportInterval
}

func (c *Config) exportTimeout() time.Duration {
	if c.ExportTimeout > 0 {
		return c.ExportTimeout
	}
	return DefaultExportTimeout
}
