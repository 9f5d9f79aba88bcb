package telemetry

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The OTEL_EXPORTER_OTLP_<SIGNAL>_* infix of each exporter.
const (
	signalMetrics = "METRICS"
	signalTraces  = "TRACES"
)

// newOTLPExporters builds the OTLP gRPC exporters. The SDK reads the
// OTEL_EXPORTER_OTLP_* environment itself (headers, certificates,
// compression, timeout); only the endpoint and its transport are passed in,
// from otlpURL.
func newOTLPExporters(ctx context.Context, cfg *Config) (sdkmetric.Exporter, sdktrace.SpanExporter, error) {
	mopts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithTemporalitySelector(OTLPTemporality), otlpmetricgrpc.WithTimeout(cfg.exportTimeout())}
	if u := cfg.otlpURL(signalMetrics); u != "" {
		mopts = append(mopts, otlpmetricgrpc.WithEndpointURL(u))
	}
	me, err := otlpmetricgrpc.New(ctx, mopts...)
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP metrics exporter: %w", err)
	}
	topts := []otlptracegrpc.Option{otlptracegrpc.WithTimeout(cfg.exportTimeout())}
	if u := cfg.otlpURL(signalTraces); u != "" {
		topts = append(topts, otlptracegrpc.WithEndpointURL(u))
	}
	te, err := otlptracegrpc.New(ctx, topts...)
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	return me, te, nil
}

// otlpURL is where signal is exported, as an http:// (plaintext) or
// https:// (TLS) URL, following the OpenTelemetry exporter spec: the
// endpoint is --otlp-endpoint, else OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT,
// else OTEL_EXPORTER_OTLP_ENDPOINT; its scheme decides the transport and
// takes precedence over OTEL_EXPORTER_OTLP_INSECURE, which only decides for
// a scheme-less host:port (TLS unless it is true; the signal's own
// _INSECURE wins). The SDK alone would let INSECURE=true downgrade an
// https:// endpoint from the environment, and skips an IP:port it cannot
// parse as a URL. "" leaves the endpoint to the SDK: none configured (its
// default), or a gRPC target of another form (unix:, dns:///).
func (c *Config) otlpURL(signal string) string {
	ep := c.OTLPEndpoint
	if ep == "" {
		ep = c.env("OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT")
	}
	if ep == "" {
		ep = c.env("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	if lower := strings.ToLower(ep); strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return ep
	}
	if !IsHostPort(ep) {
		return ""
	}
	if c.otlpInsecure(signal) {
		return "http://" + ep
	}
	return "https://" + ep
}

// IsHostPort reports whether ep is a scheme-less host:port (the host may be
// empty: localhost), the gRPC target form besides http(s):// URLs.
func IsHostPort(ep string) bool {
	_, port, err := net.SplitHostPort(ep)
	if err != nil || strings.Contains(ep, "/") {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

// otlpInsecure is OTEL_EXPORTER_OTLP_<SIGNAL>_INSECURE, else
// OTEL_EXPORTER_OTLP_INSECURE, read as the SDK does ("true" in any case).
func (c *Config) otlpInsecure(signal string) bool {
	v := c.env("OTEL_EXPORTER_OTLP_" + signal + "_INSECURE")
	if v == "" {
		v = c.env("OTEL_EXPORTER_OTLP_INSECURE")
	}
	return strings.EqualFold(v, "true")
}

// cleartextHeaders lists the signals whose OTLP headers (often an
// Authorization token) would cross the network unencrypted: a plaintext
// endpoint that is not on this machine.
func (c *Config) cleartextHeaders() []string {
	var out []string
	for _, s := range []string{signalMetrics, signalTraces} {
		if c.env("OTEL_EXPORTER_OTLP_HEADERS") == "" && c.env("OTEL_EXPORTER_OTLP_"+s+"_HEADERS") == "" {
			continue
		}
		u, err := url.Parse(c.otlpURL(s))
		if err != nil || !strings.EqualFold(u.Scheme, "http") || isLoopback(u.Hostname()) {
			continue
		}
		out = append(out, strings.ToLower(s)+" to "+u.Host)
	}
	return out
}

func isLoopback(host string) bool {
	if host == "" || strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
