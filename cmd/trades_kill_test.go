package cmd

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
)

// leftovers lists the files under dir whose names contain marker.
func leftovers(t *testing.T, dir, marker string) []string {
	t.Helper()
	var found []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.Contains(fi.Name(), marker) {
			found = append(found, p)
		}
		return nil
	})
	return found
}

// awaitFile waits until a file named with marker exists under dir: a
// write the process has begun. The limit only turns a hang into a failure.
func awaitFile(t *testing.T, p *process, dir, marker string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); len(leftovers(t, dir, marker)) == 0; time.Sleep(10 * time.Millisecond) {
		select {
		case <-p.exited:
			t.Fatalf("the process exited (%v) before writing a %s file\n%s", p.err, marker, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s file under %s within a minute\n%s", marker, dir, p.stderr)
		}
	}
}

// age makes files look abandoned long ago: the sweeps of a later run
// remove temporary files a killed process left once they are stale
// (15 minutes in the lake, an hour in the temp folder).
func age(t *testing.T, files []string) {
	t.Helper()
	old := time.Now().Add(-2 * time.Hour)
	for _, f := range files {
		if err := os.Chtimes(f, old, old); err != nil {
			t.Fatal(err)
		}
	}
}

// zipGET matches GETs of the zip at path (not its CHECKSUM); with
// ranged, only resumed ones.
func zipGET(path string, ranged bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.URL.Path == path && (!ranged || r.Header.Get("Range") != "")
	}
}

// TestTradesSIGKILLMidFileRerunExact kills the process (SIGKILL: no
// cleanup runs) while it writes 2024-03-13's trades file, having stored
// 2024-03-12's and begun downloading 2024-03-14's. The lake holds only
// complete files; the rerun (no --start: it resumes after the newest
// stored id) removes the leftovers once stale and stores exactly the
// fake's trades, none lost or doubled.
func TestTradesSIGKILLMidFileRerunExact(t *testing.T) {
	bin := buildLakehouse(t)
	fake := newFake(t, binancetest.WithTrades(binancetest.Spot, 30, "BTCUSDT"))
	tmp, dir := t.TempDir(), filepath.Join(t.TempDir(), "lake")
	gate := fake.Hold(zipGET(binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", false, true, utcDay("2024-03-14")), false))
	t.Cleanup(gate.Release)
	args := []string{"collect", "--symbols", "BTCUSDT", "--data", "trades", "--end", "2024-03-15",
		"--output", dir, "--binance-api-url", fake.URL(), "--binance-archive-url", fake.URL(), "--summary", "json"}
	p := startLakehouse(t, bin, []string{"TMPDIR=" + tmp}, append(args, "--start", "2024-03-12")...)
	p.await(t, "the download of 2024-03-14's zip", gate.Arrived(1))
	awaitFile(t, p, dir, ".tmp-") // 2024-03-13's file is being written
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	gate.Release()

	files := parquetFiles(t, dir, false)
	if len(files) != 1 || filepath.Base(files[0]) != "2024-03-12.parquet" {
		t.Fatalf("files after SIGKILL: %v, want 2024-03-12's only", files)
	}
	assertParquetComplete(t, dir, false)
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-03-12"), utcDay("2024-03-13"), true, false)
	lakeTemps, dlTemps := leftovers(t, dir, ".tmp-"), leftovers(t, tmp, ".lakehouse-dl-")
	if len(lakeTemps) != 1 || len(dlTemps) != 1 {
		t.Fatalf("after SIGKILL: lake temp files %v, downloads %v; want the file and the download in flight", lakeTemps, dlTemps)
	}
	age(t, append(lakeTemps, dlTemps...))

	t.Setenv("TMPDIR", tmp)
	if r := run(t, nil, args...); r.code != ExitOK {
		t.Fatalf("rerun: exit %d: %s %s", r.code, r.out, r.err)
	}
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-03-12"), utcDay("2024-03-15"), true, false)
	parquetFiles(t, dir, true)
	assertNoDownloads(t, tmp)
}

// TestTradesSIGTERMMidDownload signals the process while 2024-03-14's zip
// is 80% downloaded (its connection cut, the resumption parked): it exits
// 1 with its temporary download removed and only complete files in the
// lake (2024-03-12 and 2024-03-13), and the rerun completes the lake.
func TestTradesSIGTERMMidDownload(t *testing.T) {
	bin := buildLakehouse(t)
	fake := tradesFake(t)
	tmp, dir := t.TempDir(), filepath.Join(t.TempDir(), "lake")
	zip := binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", false, true, utcDay("2024-03-14"))
	fake.InjectArchiveCut(zip, 1, 0.8)
	gate := fake.Hold(zipGET(zip, true))
	t.Cleanup(gate.Release)
	args := []string{"collect", "--symbols", "BTCUSDT", "--data", "trades", "--end", "2024-03-15",
		"--output", dir, "--binance-api-url", fake.URL(), "--binance-archive-url", fake.URL(), "--summary", "json"}
	p := startLakehouse(t, bin, []string{"TMPDIR=" + tmp}, append(args, "--start", "2024-03-12")...)
	p.await(t, "the resumed download of 2024-03-14's zip", gate.Arrived(1))
	dls := leftovers(t, tmp, ".lakehouse-dl-")
	if len(dls) != 1 {
		t.Fatalf("downloads in flight: %v, want one", dls)
	}
	if fi, err := os.Stat(dls[0]); err != nil || fi.Size() == 0 {
		t.Fatalf("the download in flight holds nothing: %v", err)
	}
	p.sigterm(t)
	p.awaitExit(t, time.Minute, "SIGTERM")
	if code := p.cmd.ProcessState.ExitCode(); code != ExitFailed && code != 143 {
		t.Fatalf("exit %d after SIGTERM, want 1 or 143\n%s", code, p.stderr)
	}
	gate.Release()
	assertNoDownloads(t, tmp)
	if _, n := assertParquetComplete(t, dir, true); n != 2 {
		t.Errorf("%d files after SIGTERM, want 2024-03-12 and 2024-03-13", n)
	}
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-03-12"), utcDay("2024-03-14"), true, false)

	t.Setenv("TMPDIR", tmp)
	if r := run(t, nil, args...); r.code != ExitOK {
		t.Fatalf("rerun: exit %d: %s %s", r.code, r.out, r.err)
	}
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-03-12"), utcDay("2024-03-15"), true, false)
	parquetFiles(t, dir, true)
	assertNoDownloads(t, tmp)
}
