package cmd

import (
	"context"
	"encoding/json"
	"os"
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
			if strict && fi.Name() != ".lakehouse.lock" { // a folder's lock file stays by design (storage/lock.go)
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

// The first SIGTERM lands at a known point: each of the two running tasks
// (--concurrency 2) has stored December and is waiting for the fake to
// answer its request for candles from mid-January on. Those two keep what
// they have (December, and January up to the parked page), the other two never
// start, and the next run completes the data.
func TestSIGTERMStopsCleanlyAndNextRunCompletes(t *testing.T) {
	bin := buildLakehouse(t)
	fake := newFake(t)
	jan, mid := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
	gate := fake.Hold(binancetest.KlinesFrom(mid))
	// Pages of 1000 candles from December 1: the parked request is the
	// first page starting on or after mid.
	held := time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)
	for held.Before(mid) {
		held = held.Add(1000 * time.Minute)
	}
	t.Cleanup(gate.Release) // before the fake closes
	dir := t.TempDir()
	symbols := []string{"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"}
	p := startLakehouse(t, bin, nil, "collect", "--symbols", strings.Join(symbols, ","), "--timeframes", "1m", "--start", "2023-12-01", "--end", "2024-03-01",
		"--concurrency", "2", "--output", dir, "--binance-api-url", fake.URL(), "--summary", "json",
		"--source", "api", "--binance-archive-url", fake.URL()) // REST pages; never the real archive
	p.await(t, "both running tasks asking for mid-January", gate.Arrived(2))
	p.sigterm(t)
	p.awaitExit(t, time.Minute, "SIGTERM")
	if code := p.cmd.ProcessState.ExitCode(); code != ExitFailed {
		t.Fatalf("exit %d after SIGTERM, want 1\n%s", code, p.stderr)
	}
	var s jsonSummary
	if err := jsonUnmarshal([]byte(p.stdout.String()), &s); err != nil || len(s.Tasks) != 4 {
		t.Fatalf("no partial summary on stdout: %v\n%s", err, p.stdout)
	}
	if s.Failed != 4 {
		t.Errorf("%d tasks failed, want all 4 (2 interrupted, 2 never started)", s.Failed)
	}

	// Every file left is complete and readable: December and the part of
	// January before the parked request, for the two tasks that ran.
	store, files := assertParquetComplete(t, dir, true)
	if files != 4 {
		t.Fatalf("%d files after the signal, want 4 (2 series x December and part of January)", files)
	}
	var interrupted int
	for _, task := range s.Tasks {
		if len(task.Files) == 0 {
			continue
		}
		interrupted++
		if len(task.Files) != 2 {
			t.Errorf("%s wrote %v, want December and January", task.Symbol, task.Files)
		}
		k, ok := storage.ParseKey(filepath.ToSlash(task.Files[len(task.Files)-1]))
		if !ok {
			t.Fatalf("%s: unexpected file %s", task.Symbol, task.Files[len(task.Files)-1])
		}
		rec, _, err := store.Read(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		rows := transform.Rows(rec)
		rec.Release()
		first, last := time.UnixMilli(rows[0].OpenTime).UTC(), time.UnixMilli(rows[len(rows)-1].OpenTime).UTC()
		if !first.Equal(jan) || !last.Equal(held.Add(-time.Minute)) || len(rows) != int(last.Sub(first)/time.Minute)+1 {
			t.Errorf("%s January: %d candles %v..%v, want every minute from %v to before the parked request's %v", task.Symbol, len(rows), first, last, jan, held)
		}
	}
	if interrupted != 2 {
		t.Errorf("%d tasks wrote files, want the 2 that were running", interrupted)
	}

	// The next run (no --start: resume) completes the data.
	gate.Release()
	resume := []string{"collect", "--symbols", strings.Join(symbols, ","), "--timeframes", "1m", "--end", "2024-03-01", "--lookback", "91d", // = from 2023-12-01 where nothing is stored
		"--output", dir, "--binance-api-url", fake.URL()}
	if r := run(t, nil, resume...); r.code != ExitOK {
		t.Fatalf("resume: exit %d\n%s%s", r.code, r.out, r.err)
	}
	start, end := time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, sym := range symbols {
		var got []transform.Kline
		keys, _ := store.List(context.Background(), storage.Series{Dataset: "klines", Market: "spot", Interval: "1m", Symbol: sym})
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

// After the first signal the process finishes its files and flushes
// telemetry; a second signal must end it at once. The telemetry goes to an
// endpoint that never answers, so the process is known to be still busy
// (the flush lasts --telemetry-timeout) when the second signal arrives.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	bin := buildLakehouse(t)
	fake := newFake(t)
	// 1s candles, one file a day: the signal lands with the first day
	// stored and half of the second in memory.
	gate := fake.Hold(binancetest.KlinesFrom(time.Date(2024, 3, 2, 12, 0, 0, 0, time.UTC)))
	t.Cleanup(gate.Release)
	dir := t.TempDir()
	p := startLakehouse(t, bin, nil, "collect", "--symbols", "BTCUSDT", "--timeframes", "1s", "--start", "2024-03-01", "--end", "2024-03-04",
		"--output", dir, "--binance-api-url", fake.URL(), "--source", "api", "--binance-archive-url", fake.URL(),
		"--otlp-endpoint", silentOTLP(t), "--telemetry-timeout", "10m")
	p.await(t, "the request for the second half of March 2", gate.Arrived(1))
	p.sigterm(t)
	p.awaitStderr(t, "signal again to exit at once")
	p.sigterm(t)
	p.awaitExit(t, 10*time.Second, "a second SIGTERM")
	// Killed by the signal itself, not a graceful exit 1.
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("process ended with %v, want death by the second SIGTERM\n%s", p.cmd.ProcessState, p.stderr)
	}
	// Whatever is named .parquet is complete; March 1 was stored before.
	if _, files := assertParquetComplete(t, dir, false); files < 1 {
		t.Errorf("March 1 is not stored")
	}
}
