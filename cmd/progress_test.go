package cmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lakehouse-dev/lakehouse/collector"
)

func TestProgressReportsTasksRowsAndBytes(t *testing.T) {
	var buf bytes.Buffer
	p := newTaskProgress(&buf, 3, 0)
	p.FileWritten(1440, 2048)
	p.TaskDone(collector.TaskResult{Status: collector.StatusOK})
	p.FileWritten(60, 1024)
	p.TaskDone(collector.TaskResult{Status: collector.StatusFailed})
	out := buf.String()
	for _, want := range []string{"1500 rows", "3.0 KiB", "1 failed", "2/3"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q: %q", want, out)
		}
	}
}

func TestNoProgressWhenStderrIsNotATerminal(t *testing.T) {
	fake := newFake(t)
	r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--lookback", "3h", "--output", t.TempDir(), "--binance-api-url", fake.URL())
	if r.code != ExitOK || strings.Contains(r.err, "rows/s") || strings.Contains(r.err, "tasks") && strings.Contains(r.err, "%") {
		t.Fatalf("progress drawn on a non-terminal: %q", r.err)
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Fatal("a buffer is not a terminal")
	}
}

// TestDeriveReportsProgress: a derive run reports through the same bar,
// counting gold series, the rows and bytes of the files written.
func TestDeriveReportsProgress(t *testing.T) {
	e := struct{ buf bytes.Buffer }{}
	p := newProgress(&e.buf, 2, 0, "derive", "series")
	var _ collector.DeriveProgress = p
	p.FileWritten(24, 4096)
	p.TargetDone(false)
	p.TargetDone(true)
	out := e.buf.String()
	for _, want := range []string{"derive: 24 rows", "4.0 KiB", "1 failed", "1/2"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q: %q", want, out)
		}
	}
}
