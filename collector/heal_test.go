package collector_test

import (
	"context"
	"maps"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// zipRequests counts the archive requests (zips and CHECKSUMs) by path.
func (e *env) zipRequests() map[string]int {
	out := map[string]int{}
	for path, n := range e.fake.Stats().Requests {
		if filepath.Ext(path) == ".zip" || filepath.Ext(path) == ".CHECKSUM" {
			out[path] = n
		}
	}
	return out
}

// newRequests is what after counts beyond before.
func newRequests(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for p, n := range after {
		if d := n - before[p]; d > 0 {
			out[p] = d
		}
	}
	return out
}

func coverage(t *testing.T, e *env, iv string) collector.Coverage {
	t.Helper()
	s := storage.Series{Dataset: "klines", Market: "spot", Interval: iv, Symbol: "BTCUSDT"}
	cv, err := collector.KlineCoverage(context.Background(), e.store, s, transform.Interval(iv), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return cv
}

// TestHealRefillsFailedFiles (issue 16): a backfill in which one monthly
// and one daily archive file fail exits with a failed task; the same
// request without --start and with the faults gone refills exactly those
// periods (counted requests) and the lake is complete; one more run
// fetches no file at all.
func TestHealRefillsFailedFiles(t *testing.T) {
	e := newEnv(t)
	feb := binancetest.ArchivePath(binancetest.Spot, "BTCUSDT", "1m", false, day("2024-02-01"))
	mar5 := binancetest.ArchivePath(binancetest.Spot, "BTCUSDT", "1m", true, day("2024-03-05"))
	e.fake.InjectArchive(feb, 2, binancetest.ArchiveBadChecksum)
	e.fake.InjectArchive(mar5, 2, binancetest.ArchiveBadChecksum)
	start := day("2024-01-01")
	req := spotReq(start, time.Time{}, []string{"BTCUSDT"}, "1m")
	res := e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceAuto, heal: collector.DefaultHealWindow})
	if res[0].Status != collector.StatusFailed {
		t.Fatalf("backfill with two damaged files: %s, want failed", res[0].Status)
	}
	cv := coverage(t, e, "1m")
	wantHoles := []collector.Range{{day("2024-02-01").UnixMilli(), day("2024-03-01").UnixMilli()}, {day("2024-03-05").UnixMilli(), day("2024-03-06").UnixMilli()}}
	if len(cv.Holes) != 2 || cv.Holes[0] != wantHoles[0] || cv.Holes[1] != wantHoles[1] {
		t.Fatalf("holes after the failed backfill %v, want %v", cv.Holes, wantHoles)
	}

	before := e.zipRequests()
	req.Start = time.Time{}
	req.Lookback = 24 * time.Hour
	res = e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceAuto, heal: collector.DefaultHealWindow})
	okResults(t, res)
	got := newRequests(before, e.zipRequests())
	want := map[string]int{feb: 1, feb + ".CHECKSUM": 1, mar5: 1, mar5 + ".CHECKSUM": 1}
	if !maps.Equal(got, want) {
		t.Errorf("the healing run requested %v, want only the failed files %v", got, want)
	}
	if h := res[0].Task.Heal; len(h) != 2 {
		t.Errorf("task healed %v, want the two holes", h)
	}
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "1m"), e.expected(t, collector.Spot, "BTCUSDT", "1m", start, now))
	if cv := coverage(t, e, "1m"); len(cv.Holes) != 0 {
		t.Errorf("holes after healing: %v", cv.Holes)
	}

	before = e.zipRequests()
	res = e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceAuto, heal: collector.DefaultHealWindow})
	okResults(t, res)
	if got := newRequests(before, e.zipRequests()); len(got) != 0 {
		t.Errorf("a run over a complete lake requested %v", got)
	}
	if len(res[0].Files) != 0 {
		t.Errorf("a run over a complete lake wrote %v", res[0].Files)
	}
}

// TestHealWindow: a hole older than the window's period is left alone;
// --heal-window 0 heals nothing; HealAll heals it.
func TestHealWindow(t *testing.T) {
	e := newEnv(t)
	jan := binancetest.ArchivePath(binancetest.Spot, "BTCUSDT", "1m", false, day("2024-01-01"))
	e.fake.InjectArchive(jan, 2, binancetest.ArchiveBadChecksum)
	req := spotReq(day("2023-12-01"), time.Time{}, []string{"BTCUSDT"}, "1m")
	e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceAuto})
	req.Start, req.Lookback = time.Time{}, 24*time.Hour
	for _, tc := range []struct {
		name  string
		heal  time.Duration
		holes int
	}{{"off", 0, 1}, {"35d", collector.DefaultHealWindow, 1}, {"all", collector.HealAll, 0}} {
		before := e.zipRequests()
		res := e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceAuto, heal: tc.heal})
		okResults(t, res)
		if n := len(coverage(t, e, "1m").Holes); n != tc.holes {
			t.Errorf("%s: %d holes left, want %d", tc.name, n, tc.holes)
		}
		got := newRequests(before, e.zipRequests())
		if tc.holes == 0 && got[jan] != 1 || tc.holes == 1 && len(got) != 0 {
			t.Errorf("%s: requested %v", tc.name, got)
		}
	}
}

// TestBinanceGapRequestedOnce: candles missing at Binance inside a file
// that had failed are requested when the hole is healed, recorded as
// confirmed in the file's metadata, and never requested again.
func TestBinanceGapRequestedOnce(t *testing.T) {
	gapFrom, gapTo := time.Date(2024, 3, 10, 10, 0, 0, 0, time.UTC), time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, binancetest.WithGap(binancetest.Spot, "BTCUSDT", gapFrom, gapTo))
	mar10 := binancetest.ArchivePath(binancetest.Spot, "BTCUSDT", "1m", true, day("2024-03-10"))
	e.fake.InjectArchive(mar10, 2, binancetest.ArchiveBadChecksum)
	req := spotReq(day("2024-03-01"), time.Time{}, []string{"BTCUSDT"}, "1m")
	e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceAuto})
	if h := coverage(t, e, "1m").Holes; len(h) != 1 || h[0].Start != day("2024-03-10").UnixMilli() {
		t.Fatalf("holes %v, want the day of the damaged file", h)
	}
	req.Start, req.Lookback = time.Time{}, 24*time.Hour
	for run := 1; run <= 2; run++ {
		before := e.zipRequests()
		res := e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceAuto, heal: collector.DefaultHealWindow})
		okResults(t, res)
		got := newRequests(before, e.zipRequests())
		if run == 1 && got[mar10] != 1 || run == 2 && len(got) != 0 {
			t.Errorf("run %d requested %v", run, got)
		}
		cv := coverage(t, e, "1m")
		if len(cv.Holes) != 0 {
			t.Errorf("run %d: holes %v", run, cv.Holes)
		}
		if len(cv.Gaps) != 1 || cv.Gaps[0].From != gapFrom.UnixMilli() || cv.Gaps[0].To != gapTo.UnixMilli() || cv.Gaps[0].Confirmed.IsZero() {
			t.Errorf("run %d: confirmed gaps %+v, want [%v, %v)", run, cv.Gaps, gapFrom, gapTo)
		}
	}
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "1m"), e.expected(t, collector.Spot, "BTCUSDT", "1m", day("2024-03-01"), now))
}

// TestRESTConfirmsGaps: REST pages that skip candles between two they
// return confirm those as gaps at Binance; the next run does not ask.
func TestRESTConfirmsGaps(t *testing.T) {
	gapFrom, gapTo := time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC), time.Date(2024, 3, 14, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, binancetest.WithGap(binancetest.Spot, "BTCUSDT", gapFrom, gapTo))
	req := spotReq(day("2024-03-14"), time.Time{}, []string{"BTCUSDT"}, "1m")
	okResults(t, e.run(t, context.Background(), req, collector.ClientOptions{}))
	cv := coverage(t, e, "1m")
	if len(cv.Holes) != 0 || len(cv.Gaps) != 1 || cv.Gaps[0].From != gapFrom.UnixMilli() || cv.Gaps[0].To != gapTo.UnixMilli() {
		t.Fatalf("holes %v, gaps %+v; want only the confirmed gap [%v, %v)", cv.Holes, cv.Gaps, gapFrom, gapTo)
	}
}

// recordingProgress counts what a run reports.
type recordingProgress struct {
	mu          sync.Mutex
	files, rows int
	tasks       int
}

func (p *recordingProgress) FileWritten(rows int, _ int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files++
	p.rows += rows
}

func (p *recordingProgress) TaskDone(collector.TaskResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tasks++
}

// TestTradesReportProgress (issue 17): trades and agg_trades tasks report
// every day file written and their end through Runner.Progress, as klines do.
func TestTradesReportProgress(t *testing.T) {
	e := newEnv(t, binancetest.WithTrades(binancetest.Spot, 2, "BTCUSDT"))
	t.Setenv("TMPDIR", t.TempDir())
	req := spotReq(day("2024-03-10"), day("2024-03-13"), []string{"BTCUSDT"})
	req.Datasets = []*transform.Dataset{transform.TradesData, transform.AggTradesData}
	p := &recordingProgress{}
	res := e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceArchive, progress: p})
	okResults(t, res)
	rows := 0
	for _, r := range res {
		rows += r.Added
	}
	if p.tasks != 2 || p.files != 6 || p.rows != rows || rows == 0 {
		t.Errorf("progress heard %d tasks, %d files, %d rows; want 2 tasks, 6 day files, %d rows", p.tasks, p.files, p.rows, rows)
	}
}
