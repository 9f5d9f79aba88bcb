package cmd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
)

// A CronJob is stopped with SIGTERM: the process must still flush its
// metrics and spans before it exits.
func TestSIGTERMFlushesTelemetry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	endpoint, dir := os.Getenv("LAKEHOUSE_TEST_OTLP_ENDPOINT"), os.Getenv("LAKEHOUSE_TEST_OTLP_DIR")
	fake := newFake(t)
	fake.Inject("/api/v3/klines", 1, binancetest.Slow(time.Minute))
	service := uniqueService(t)
	args := []string{"collect", "--symbols", "BTCUSDT", "--timeframes", "1h", "--start", "2024-03-14", "--output", t.TempDir(),
		"--binance-api-url", fake.URL(), "--source", "api", "--console-export", "--telemetry-timeout", "5s"}
	if endpoint != "" {
		args = append(args, "--otlp-endpoint", endpoint)
	}
	cmd := exec.Command(buildLakehouse(t), args...)
	cmd.Env = append(os.Environ(), "OTEL_SERVICE_NAME="+service)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	// The klines request is held by the fake once the run has started.
	waitFor(t, "the run to start", func() bool { return strings.Contains(stderr.String(), "collect starting") })
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit 30s after SIGTERM:\n%s", stderr.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != ExitFailed {
		t.Fatalf("exit %v, want 1 (interrupted)\n%s", err, stderr.String())
	}
	out := stderr.String()
	for _, want := range []string{`"Name":"collect"`, `"Name":"task"`, "metrics digest:", "crypto_workflow_executions_total"} {
		if !strings.Contains(out, want) {
			t.Errorf("after SIGTERM stderr lacks %q:\n%s", want, out)
		}
	}
	if endpoint == "" {
		return // the console shows the flush ran; OTLP needs the collector
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
