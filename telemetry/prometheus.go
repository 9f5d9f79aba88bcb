package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// startPrometheus serves the metrics (cumulative, as Prometheus expects)
// at http://addr/metrics from a registry of its own.
//
// The names in SPEC section 5 already carry their unit and _total
// suffixes, so the exporter must not add them again: with its default
// strategy crypto_data_ingested_total would stay as is but a unit such as
// {record}/s would append _per_second to a name that has it already.
// UnderscoreEscapingWithoutSuffixes exports the instrument names verbatim.
func startPrometheus(addr string, logger *slog.Logger) (sdkmetric.Reader, *http.Server, string, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithoutSuffixes),
		otelprom.WithoutScopeInfo(),
	)
	if err != nil {
		return nil, nil, "", fmt.Errorf("prometheus exporter: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		exp.Shutdown(context.Background())
		return nil, nil, "", fmt.Errorf("listen on --prometheus-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("Prometheus endpoint stopped", "err", err)
		}
	}()
	url := "http://" + ln.Addr().String() + "/metrics"
	logger.Info("Prometheus metrics served", "url", url)
	return exp, srv, url, nil
}
