package collector_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
)

// zipDownloads counts GETs of archive zips (not CHECKSUMs).
func zipDownloads(f *binancetest.Server) int {
	n := 0
	for path, c := range f.Stats().Requests {
		if strings.HasPrefix(path, "/data/") && strings.HasSuffix(path, ".zip") {
			n += c
		}
	}
	return n
}

// TestArchiveResumeWithStart: re-running a backfill with the same --start
// downloads no file whose candles are all stored, but does fetch a period
// that lost candles.
func TestArchiveResumeWithStart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start := day("2023-12-30")
	req := spotReq(start, day("2024-03-03"), []string{"BTCUSDT"}, "5m")
	okResults(t, e.runArchive(t, ctx, archiveRun{req: req, mode: collector.SourceAuto}))
	first := zipDownloads(e.fake) // Dec 30, 31, Jan, Feb, Mar 1, 2
	if first != 6 {
		t.Fatalf("first run downloaded %d zips, want 6", first)
	}
	res := e.runArchive(t, ctx, archiveRun{req: req, mode: collector.SourceAuto})
	okResults(t, res)
	if got := zipDownloads(e.fake) - first; got != 0 {
		t.Errorf("second run downloaded %d zips, want 0", got)
	}
	if got := countKind(res[0], collector.SegmentStored); got != 6 || res[0].Added != 0 {
		t.Errorf("second run: %d stored segments, %d added: %v", got, res[0].Added, segmentKinds(res[0]))
	}
	// Lose February: only its file is downloaded again.
	if err := os.Remove(filepath.Join(e.dir, "silver/klines/market=spot/interval=5m/symbol=BTCUSDT/2024-02.parquet")); err != nil {
		t.Fatal(err)
	}
	before := zipDownloads(e.fake)
	okResults(t, e.runArchive(t, ctx, archiveRun{req: req, mode: collector.SourceAuto}))
	if got := zipDownloads(e.fake) - before; got != 1 {
		t.Errorf("after losing February %d zips were downloaded, want 1", got)
	}
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "5m"), e.expected(t, collector.Spot, "BTCUSDT", "5m", start, day("2024-03-03")))
}

// TestKeepRaw stores each verified zip and its CHECKSUM under bronze/.
func TestKeepRaw(t *testing.T) {
	e := newEnv(t)
	req := spotReq(day("2024-02-28"), day("2024-03-02"), []string{"ETHUSDT"}, "1h")
	okResults(t, e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceArchive, keepRaw: true}))
	for _, d := range []string{"2024-02-28", "2024-02-29", "2024-03-01"} {
		name := fmt.Sprintf("ETHUSDT-1h-%s.zip", d)
		dir := filepath.Join(e.dir, "bronze/klines/market=spot/interval=1h/symbol=ETHUSDT")
		zipped, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := os.ReadFile(filepath.Join(dir, name+".CHECKSUM"))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%x  %s\n", sha256.Sum256(zipped), name); string(sum) != want {
			t.Errorf("bronze CHECKSUM %q, want %q", sum, want)
		}
	}
}
