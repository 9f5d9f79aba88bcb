package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// parquetFiles lists the lake's files; with strict it fails on anything
// else left behind (temporary files exist while a write is in flight).
func parquetFiles(t *testing.T, dir string, strict bool) []string {
	t.Helper()
	var files []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		if !strings.HasSuffix(p, ".parquet") {
			if strict {
				t.Errorf("left behind: %s", p)
			}
			return nil
		}
		files = append(files, p)
		return nil
	})
	return files
}

// assertParquetComplete reads every .parquet file of the lake in dir (with
// strict, nothing else may be left) and returns a store on it and the count.
func assertParquetComplete(t *testing.T, dir string, strict bool) (*storage.Store, int) {
	t.Helper()
	b, _ := storage.NewLocalBackend(dir)
	store := storage.NewStore(b, memory.DefaultAllocator, storage.WriteOptions{})
	files := parquetFiles(t, dir, strict)
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		k, ok := storage.ParseKey(filepath.ToSlash(rel))
		if !ok {
			t.Fatalf("unexpected file %s", rel)
		}
		rec, _, err := store.Read(context.Background(), k)
		if err != nil {
			t.Fatalf("%s unreadable after the signal: %v", rel, err)
		}
		rec.Release()
	}
	return store, len(files)
}

func TestSIGTERMStopsCleanlyAndNextRunCompletes(t *testing.T) {
	bin := buildLakehouse(t)
	fake := newFake(t)
	// Slow pages stretch the run so the signal lands mid-run.
	fake.Inject("/api/v3/klines", 400, binancetest.Slow(60*time.Millisecond))
	dir := t.TempDir()
	args := []string{"collect", "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT,SOLUSDT", "--timeframes", "1m", "--start", "2023-12-01", "--end", "2024-03-01",
		"--concurrency", "2", "--output", dir, "--binance-api-url", fake.URL(), "--summary", "json",
		"--source", "api", "--binance-archive-url", fake.URL()} // REST pages, slowed down; never the real archive
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(parquetFiles(t, dir, false)) < 2 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no files written in time\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("SIGTERM did not stop the run")
	}
	if code := cmd.ProcessState.ExitCode(); code != ExitFailed {
		t.Fatalf("exit %d after SIGTERM, want 1\n%s", code, stderr.String())
	}
	var s jsonSummary
	if err := jsonUnmarshal(stdout.Bytes(), &s); err != nil || len(s.Tasks) != 4 {
		t.Fatalf("no partial summary on stdout: %v\n%s", err, stdout.String())
	}

	// Every file left is complete and readable.
	store, files := assertParquetComplete(t, dir, true)
	if files >= 4*3 {
		t.Fatalf("the run was not interrupted: %d files", files)
	}

	// The next run (no --start: resume) completes the data.
	resume := []string{"collect", "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT,SOLUSDT", "--timeframes", "1m", "--end", "2024-03-01", "--lookback", "91d", // = from 2023-12-01 where nothing is stored
		"--output", dir, "--binance-api-url", fake.URL()}
	if r := run(t, nil, resume...); r.code != ExitOK {
		t.Fatalf("resume: exit %d\n%s%s", r.code, r.out, r.err)
	}
	start, end := time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, sym := range []string{"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"} {
		var got []transform.Kline
		keys, _ := store.List(context.Background(), storage.Series{Market: "spot", Interval: "1m", Symbol: sym})
		for _, k := range keys {
			rec, _, err := store.Read(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, transform.Rows(rec)...)
			rec.Release()
		}
		want := fake.Klines(binancetest.Spot, sym, "1m", start, end)
		if len(got) != len(want) {
			t.Errorf("%s: %d candles after resume, want %d", sym, len(got), len(want))
			continue
		}
		for i := range want {
			if got[i].OpenTime != want[i].OpenTime {
				t.Fatalf("%s: candle %d at %d, want %d", sym, i, got[i].OpenTime, want[i].OpenTime)
			}
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestSecondSignalExitsAtOnce(t *testing.T) {
	bin := buildLakehouse(t)
	fake := newFake(t)
	fake.Inject("/api/v3/klines", 400, binancetest.Slow(40*time.Millisecond))
	dir := t.TempDir()
	// 1s candles: a day's file is 86,400 rows, so finishing the file in
	// flight after the first signal takes a while.
	cmd := exec.Command(bin, "collect", "--symbols", "BTCUSDT", "--timeframes", "1s", "--start", "2024-03-01", "--end", "2024-03-04",
		"--output", dir, "--binance-api-url", fake.URL(), "--source", "api", "--binance-archive-url", fake.URL())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(parquetFiles(t, dir, false)) < 1 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no file written in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // well into the next day's file
	cmd.Process.Signal(syscall.SIGTERM)
	// Wait until the first signal was handled, then send the second.
	buf := make([]byte, 4096)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "signal again to exit at once") {
		n, err := stderr.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("stderr ended before the interrupt notice: %v\n%s", err, seen.String())
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("a second SIGTERM did not end the process at once")
	}
	// Killed by the signal itself, not a graceful exit 1.
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("process ended with %v, want death by the second SIGTERM", cmd.ProcessState)
	}
	// Whatever is named .parquet is complete.
	assertParquetComplete(t, dir, false)
}
