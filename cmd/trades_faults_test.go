package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// tradesRun collects spot BTCUSDT datasets (e.g. "trades,agg_trades")
// over [start, end) into dir with a JSON summary; downloads go to a temp
// folder of the test's own, returned for assertions.
func tradesRun(t *testing.T, fake *binancetest.Server, dir, data, start, end string, extra ...string) (result, collectSummary) {
	t.Helper()
	args := []string{"collect", "--symbols", "BTCUSDT", "--data", data, "--output", dir, "--binance-api-url", fake.URL(), "--summary", "json"}
	if start != "" {
		args = append(args, "--start", start)
	}
	if end != "" {
		args = append(args, "--end", end)
	}
	r := run(t, nil, append(args, extra...)...)
	return r, tradesSummary(t, r)
}

// downloadTemp points the system temp folder, where trades zips are
// downloaded, at a folder of the test's own.
func downloadTemp(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	return tmp
}

// assertNoDownloads fails on a temporary download left in tmp.
func assertNoDownloads(t *testing.T, tmp string) {
	t.Helper()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".lakehouse-dl-") {
			t.Errorf("temporary download left behind: %s", e.Name())
		}
	}
}

// assertLakeEqualsFake compares the spot BTCUSDT trades and agg_trades of
// the lake with the fake's over [start, end).
func assertLakeEqualsFake(t *testing.T, fake *binancetest.Server, dir string, start, end time.Time, trades, aggs bool) {
	t.Helper()
	if trades {
		got, _ := storedTrades(t, dir, transform.TradesData, "spot")
		sameTrades(t, got, fake.Trades(binancetest.Spot, "BTCUSDT", start, end))
	}
	if aggs {
		_, got := storedTrades(t, dir, transform.AggTradesData, "spot")
		sameAggTrades(t, got, fake.AggTrades(binancetest.Spot, "BTCUSDT", start, end))
	}
}

func utcDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestTradesDownloadCutResumes: a monthly trades zip and a daily aggTrades
// zip whose connections drop at 80% are resumed with a Range request
// starting at the byte where each was cut, and the lake equals the fake.
func TestTradesDownloadCutResumes(t *testing.T) {
	fake := tradesFake(t)
	tmp := downloadTemp(t)
	dir := filepath.Join(t.TempDir(), "lake")
	monthly := binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", false, false, utcDay("2024-02-01"))
	daily := binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", true, true, utcDay("2024-03-02"))
	fake.InjectArchiveCut(monthly, 1, 0.8)
	fake.InjectArchiveCut(daily, 1, 0.8)

	r, s := tradesRun(t, fake, dir, "trades,agg_trades", "2024-02-01", "2024-03-03")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	if len(s.Tasks) != 2 || s.Tasks[0].Status != "ok" || s.Tasks[1].Status != "ok" {
		t.Fatalf("tasks: %+v", s.Tasks)
	}
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-02-01"), utcDay("2024-03-03"), true, true)
	for _, p := range []string{monthly, daily} {
		dls := fake.ZipDownloads(p)
		if len(dls) != 2 {
			t.Fatalf("%s: %d GETs, want the cut one and its resumption: %+v", p, len(dls), dls)
		}
		cut, resumed := dls[0], dls[1]
		if cut.Range != "" || cut.CutAt < cut.Size*8/10-1 || cut.CutAt > cut.Size*8/10 {
			t.Errorf("%s: first GET %+v, want a plain GET cut at 80%%", p, cut)
		}
		if want := "bytes=" + strconv.FormatInt(cut.CutAt, 10) + "-"; resumed.Range != want || resumed.Status != 206 || resumed.From != cut.CutAt || resumed.CutAt >= 0 {
			t.Errorf("%s: resumed with %+v, want %s answered 206", p, resumed, want)
		}
	}
	assertNoDownloads(t, tmp)
	parquetFiles(t, dir, true)
}

// storedDays lists the day files of a spot BTCUSDT dataset.
func storedDays(t *testing.T, dir, dataset string) []string {
	t.Helper()
	var days []string
	for _, f := range parquetFiles(t, filepath.Join(dir, "silver", dataset, "market=spot", "symbol=BTCUSDT"), false) {
		days = append(days, strings.TrimSuffix(filepath.Base(f), ".parquet"))
	}
	return days
}

// TestTradesDamagedFileStoresNothingOfIt: a trades zip that fails its
// CHECKSUM, or is corrupt under a matching one, is fetched once more, then
// its task fails naming the file: nothing of the file is stored, the days
// before it and the other task are, the run exits 1, and a rerun once the
// file is good completes the lake exactly.
func TestTradesDamagedFileStoresNothingOfIt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     binancetest.ArchiveFault
		perMinute int
		start     string // the damaged file is 2024-03-12's
	}{
		{"bad checksum", binancetest.ArchiveBadChecksum, 3, "2024-03-11"},
		// Dense enough that the rows before the damage (a third into the
		// zip) fill a batch, which reaches the day's file before it fails;
		// that day only, to keep the test quick.
		{"corrupt zip", binancetest.ArchiveCorruptZip, 150, "2024-03-12"},
		{"truncated zip", binancetest.ArchiveTruncatedZip, 3, "2024-03-11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := tradesFake(t, binancetest.WithTrades(binancetest.Spot, tc.perMinute, "BTCUSDT"))
			tmp := downloadTemp(t)
			dir := filepath.Join(t.TempDir(), "lake")
			bad := binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", false, true, utcDay("2024-03-12"))
			fake.InjectArchive(bad, 2, tc.fault)

			r, s := tradesRun(t, fake, dir, "trades,agg_trades", tc.start, "2024-03-13")
			if r.code != ExitFailed {
				t.Fatalf("exit %d, want 1: %s %s", r.code, r.out, r.err)
			}
			if n := fake.Stats().Requests[bad]; n != 2 {
				t.Errorf("the damaged zip was fetched %d times, want 2 (one retry)", n)
			}
			if len(s.Tasks) != 2 || s.Tasks[0].Status != "failed" || s.Tasks[1].Status != "ok" {
				t.Fatalf("tasks: %+v", s.Tasks)
			}
			if e := s.Tasks[0].Error; !strings.Contains(e, "BTCUSDT-trades-2024-03-12.zip") || !strings.Contains(e, "2 attempts") {
				t.Errorf("error %q does not name the file and its 2 attempts", e)
			}
			if tc.fault == binancetest.ArchiveCorruptZip {
				// The rows before the damage reached the day's file, which
				// was then dropped.
				var fetched struct {
					Tasks []struct {
						Fetched int `json:"rows_fetched"`
					} `json:"tasks"`
				}
				if json.Unmarshal([]byte(r.out), &fetched); fetched.Tasks[0].Fetched == 0 {
					t.Error("no trade fetched: the damaged file never reached the writer")
				}
			}
			want := ""
			if tc.start < "2024-03-12" {
				want = tc.start
			}
			if days := strings.Join(storedDays(t, dir, "trades"), ","); days != want {
				t.Errorf("trades days stored: %q, want %q, the day before the damaged file", days, want)
			}
			start := utcDay(tc.start)
			assertLakeEqualsFake(t, fake, dir, start, utcDay("2024-03-12"), true, false)
			assertLakeEqualsFake(t, fake, dir, start, utcDay("2024-03-13"), false, true)
			parquetFiles(t, dir, true)
			assertNoDownloads(t, tmp)

			// The file is good again: the same command completes the lake.
			r, s = tradesRun(t, fake, dir, "trades,agg_trades", tc.start, "2024-03-13")
			if r.code != ExitOK {
				t.Fatalf("rerun: exit %d: %s %s", r.code, r.out, r.err)
			}
			if s.Tasks[1].Added != 0 {
				t.Errorf("rerun added %d agg trades, want 0", s.Tasks[1].Added)
			}
			assertLakeEqualsFake(t, fake, dir, start, utcDay("2024-03-13"), true, true)
			assertNoDownloads(t, tmp)
		})
	}
}

// TestTradesCorruptMonthlyZipKeepsCompleteDays: a monthly zip corrupt a
// third of the way in, under a matching CHECKSUM, is fetched once more,
// then fails naming the file: the days it completed before the damage are
// stored whole, the day it had begun is not, and a rerun completes the
// month exactly.
func TestTradesCorruptMonthlyZipKeepsCompleteDays(t *testing.T) {
	// Ten trades a minute: a 64k-row batch is about four days, so whole
	// days are written before the damage.
	fake := tradesFake(t, binancetest.WithTrades(binancetest.Spot, 10, "BTCUSDT"))
	tmp := downloadTemp(t)
	dir := filepath.Join(t.TempDir(), "lake")
	bad := binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", false, false, utcDay("2024-02-01"))
	fake.InjectArchive(bad, 2, binancetest.ArchiveCorruptZip)

	r, s := tradesRun(t, fake, dir, "trades", "2024-02-01", "2024-03-01")
	if r.code != ExitFailed || len(s.Tasks) != 1 || s.Tasks[0].Status != "failed" {
		t.Fatalf("exit %d, want 1 and the task failed: %s %s", r.code, r.out, r.err)
	}
	if n := fake.Stats().Requests[bad]; n != 2 {
		t.Errorf("the damaged zip was fetched %d times, want 2 (one retry)", n)
	}
	days := storedDays(t, dir, "trades")
	if len(days) == 0 || len(days) > 10 {
		t.Fatalf("days stored: %v, want some complete days before the damage a third into the month", days)
	}
	if e := s.Tasks[0].Error; !strings.Contains(e, "BTCUSDT-trades-2024-02.zip") || !strings.Contains(e, "2 attempts") ||
		!strings.Contains(e, "days up to "+s.Tasks[0].Files[len(s.Tasks[0].Files)-1]) {
		t.Errorf("error %q does not name the file, its 2 attempts and the last day stored", e)
	}
	last := utcDay(days[len(days)-1])
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-02-01"), last.AddDate(0, 0, 1), true, false)
	parquetFiles(t, dir, true)
	assertNoDownloads(t, tmp)

	// Resumed (no --start) once the file is good: the daily files of the
	// rest of the month.
	r, _ = tradesRun(t, fake, dir, "trades", "", "2024-03-01")
	if r.code != ExitOK {
		t.Fatalf("rerun: exit %d: %s %s", r.code, r.out, r.err)
	}
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-02-01"), utcDay("2024-03-01"), true, false)
	if n := fake.Stats().Requests[bad]; n != 2 {
		t.Errorf("the rerun fetched the monthly zip again (%d GETs); it resumes after the stored days", n)
	}
	assertNoDownloads(t, tmp)
}
