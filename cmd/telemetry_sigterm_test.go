package cmd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
)

// A CronJob is stopped with SIGTERM: the process must still flush its
// metrics and spans before it exits. The signal lands while the fake holds
// the run's first klines request, so the run is known to be mid-task.
func TestSIGTERMFlushesTelemetry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	endpoint, dir := os.Getenv("LAKEHOUSE_TEST_OTLP_ENDPOINT"), os.Getenv("LAKEHOUSE_TEST_OTLP_DIR")
	fake := newFake(t)
	gate := fake.Hold(binancetest.KlinesFrom(time.UnixMilli(0)))
	t.Cleanup(gate.Release) // before the fake closes
	service := uniqueService(t)
	args := []string{"collect", "--symbols", "BTCUSDT", "--timeframes", "1h", "--start", "2024-03-14", "--output", t.TempDir(),
		"--binance-api-url", fake.URL(), "--source", "api", "--console-export", "--telemetry-timeout", "5s"}
	if endpoint != "" {
		args = append(args, "--otlp-endpoint", endpoint)
	}
	p := startLakehouse(t, buildLakehouse(t), []string{"OTEL_SERVICE_NAME=" + service}, args...)
	p.await(t, "the run's klines request", gate.Arrived(1))
	p.sigterm(t)
	p.awaitExit(t, 30*time.Second, "SIGTERM")
	var exit *exec.ExitError
	if !errors.As(p.err, &exit) || exit.ExitCode() != ExitFailed {
		t.Fatalf("exit %v, want 1 (interrupted)\n%s", p.err, p.stderr)
	}
	out := p.stderr.String()
	for _, want := range []string{`"Name":"collect"`, `"Name":"task"`, "metrics digest:", "crypto_workflow_executions_total"} {
		if !strings.Contains(out, want) {
			t.Errorf("after SIGTERM stderr lacks %q:\n%s", want, out)
		}
	}
	if endpoint == "" { // the console showed the flush ran; OTLP needs the collector
		testenv.Missing(t, testenv.OTLP, "LAKEHOUSE_TEST_OTLP_ENDPOINT unset: the export to a collector after SIGTERM is untested")
	}
	waitFor(t, "the interrupted run's spans at the collector", func() bool {
		for _, line := range readLines[otlpTracesLine](t, filepath.Join(dir, "traces.jsonl")) {
			for _, rs := range line.ResourceSpans {
				if rs.Resource.attr("service.name") == service {
					return true
				}
			}
		}
		return false
	})
}
