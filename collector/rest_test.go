package collector_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/transform"
)

func spotReq(start, end time.Time, syms []string, ivs ...transform.Interval) collector.Request {
	return collector.Request{Market: collector.Spot, Symbols: syms, Intervals: ivs, Start: start, End: end, Lookback: 24 * time.Hour}
}

func TestPagingAcrossManyPagesAndPeriods(t *testing.T) {
	e := newEnv(t)
	// Three days across a month boundary: 4320 candles, 5 pages, 2 files.
	start, end := day("2024-02-28"), day("2024-03-02")
	res := e.run(t, context.Background(), spotReq(start, end, []string{"BTCUSDT"}, "1m"), collector.ClientOptions{})
	okResults(t, res)
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "1m"), e.expected(t, collector.Spot, "BTCUSDT", "1m", start, end))
	if r := res[0]; r.Added != 4320 || len(r.Files) != 2 || r.Fetched != 4320 {
		t.Fatalf("result %+v", r)
	}
	if got := e.fake.Stats().Requests["/api/v3/klines"]; got != 5 {
		t.Errorf("%d kline requests, want 5 pages of 1000", got)
	}
}

func TestFuturesMarkets(t *testing.T) {
	for _, tc := range []struct {
		m   collector.Market
		sym string
		iv  transform.Interval
		// start..end spans more than 200 days on COIN-M, so it needs windows.
		start, end time.Time
	}{
		{collector.USDM, "ETHUSDT", "15m", day("2024-01-01"), day("2024-01-20")},
		{collector.COINM, "BTCUSD_PERP", "1d", day("2022-01-01"), day("2024-01-01")},
		{collector.COINM, "ETHUSD_PERP", "1h", day("2023-11-01"), day("2024-01-05")},
	} {
		t.Run(string(tc.m)+"/"+tc.sym+"/"+string(tc.iv), func(t *testing.T) {
			e := newEnv(t)
			req := collector.Request{Market: tc.m, Symbols: []string{tc.sym}, Intervals: []transform.Interval{tc.iv}, Start: tc.start, End: tc.end}
			okResults(t, e.run(t, context.Background(), req, collector.ClientOptions{}))
			want := e.expected(t, tc.m, tc.sym, string(tc.iv), tc.start, tc.end)
			if len(want) == 0 {
				t.Fatal("fake has no data for the range")
			}
			sameKlines(t, e.stored(t, tc.m, tc.sym, string(tc.iv)), want)
			st := e.fake.Stats()
			if st.TooMany != 0 || st.Status[400] != 0 {
				t.Fatalf("fake answered %d x 429, %d x 400", st.TooMany, st.Status[400])
			}
		})
	}
}

func TestAllIntervals(t *testing.T) {
	e := newEnv(t)
	ivs := transform.Intervals
	start := now.Add(-48 * time.Hour)
	if testing.Short() {
		ivs = []transform.Interval{"1s", "1m", "1w", "1M"}
	}
	for _, iv := range ivs {
		s := start
		switch iv {
		case "1s":
			s = now.Add(-2 * time.Hour)
		case "1d", "3d", "1w":
			s = day("2023-06-01")
		case "1M":
			s = day("2022-01-01")
		}
		okResults(t, e.run(t, context.Background(), spotReq(s, time.Time{}, []string{"SOLUSDT"}, iv), collector.ClientOptions{}))
		want := e.expected(t, collector.Spot, "SOLUSDT", string(iv), time.UnixMilli(iv.Ceil(s)), now)
		if len(want) == 0 {
			t.Fatalf("%s: no candles expected", iv)
		}
		sameKlines(t, e.stored(t, collector.Spot, "SOLUSDT", string(iv)), want)
	}
}

func TestOpenCandleExcluded(t *testing.T) {
	e := newEnv(t)
	res := e.run(t, context.Background(), spotReq(now.Add(-3*time.Hour), time.Time{}, []string{"BTCUSDT"}, "1h"), collector.ClientOptions{})
	okResults(t, res)
	got := e.stored(t, collector.Spot, "BTCUSDT", "1h")
	// 10:00 and 11:00 are closed at 12:34:56; 12:00 is still open.
	if len(got) != 2 || got[1].CloseTime >= now.UnixMilli() {
		t.Fatalf("stored %d candles, last closes at %d", len(got), got[len(got)-1].CloseTime)
	}
	if res[0].OpenSkipped != 1 {
		t.Errorf("open candles skipped = %d, want 1", res[0].OpenSkipped)
	}
}

func TestIdempotent(t *testing.T) {
	e := newEnv(t)
	req := spotReq(day("2024-02-20"), day("2024-03-10"), []string{"BTCUSDT", "ETHUSDT"}, "5m", "4h")
	okResults(t, e.run(t, context.Background(), req, collector.ClientOptions{}))
	before := snapshot(t, e.dir)
	rows := e.stored(t, collector.Spot, "ETHUSDT", "5m")
	res := e.run(t, context.Background(), req, collector.ClientOptions{})
	okResults(t, res)
	for _, r := range res {
		if r.Added != 0 || len(r.Files) != 0 {
			t.Errorf("second run of %s added %d rows, wrote %v", r.Task, r.Added, r.Files)
		}
	}
	if after := snapshot(t, e.dir); !equalMaps(before, after) {
		t.Fatalf("files changed on a repeated run:\n%v\n%v", before, after)
	}
	sameKlines(t, e.stored(t, collector.Spot, "ETHUSDT", "5m"), rows)
}

func TestResumeAfterInterruptedRun(t *testing.T) {
	e := newEnv(t)
	// Interrupt the first run after a few pages.
	ctx, cancel := context.WithCancel(context.Background())
	e.fake.Inject("/api/v3/klines", 3, binancetest.Slow(0))
	start := day("2024-01-01")
	req := spotReq(start, time.Time{}, []string{"BTCUSDT"}, "1m")
	go func() {
		for e.fake.Stats().Requests["/api/v3/klines"] < 60 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res := e.run(t, ctx, req, collector.ClientOptions{})
	if res[0].Err == nil {
		t.Fatalf("first run was not interrupted: %+v", res[0])
	}
	partial := e.stored(t, collector.Spot, "BTCUSDT", "1m")
	if len(partial) == 0 || len(partial) >= 100000 {
		t.Fatalf("interrupted run stored %d candles", len(partial))
	}
	assertNoTempFiles(t, e.dir)
	// The next run has no --start: it resumes after the newest stored candle.
	req.Start = time.Time{}
	res = e.run(t, context.Background(), req, collector.ClientOptions{})
	okResults(t, res)
	if res[0].Task.From != "resume" || res[0].Task.Start != partial[len(partial)-1].OpenTime+60000 {
		t.Fatalf("resumed from %s at %d", res[0].Task.From, res[0].Task.Start)
	}
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "1m"), e.expected(t, collector.Spot, "BTCUSDT", "1m", start, now))
}

func TestLookbackWhenNothingStored(t *testing.T) {
	e := newEnv(t)
	req := spotReq(time.Time{}, time.Time{}, []string{"BTCUSDT"}, "1m")
	res := e.run(t, context.Background(), req, collector.ClientOptions{})
	okResults(t, res)
	if res[0].Task.From != "lookback" {
		t.Fatalf("start from %s", res[0].Task.From)
	}
	// From the candle open 24h ago (Floor, not Ceil) to the last closed one.
	want := e.expected(t, collector.Spot, "BTCUSDT", "1m", now.Add(-24*time.Hour).Truncate(time.Minute), now)
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "1m"), want)
	if len(want) != 1440 {
		t.Errorf("24h of closed 1m candles = %d, want 1440", len(want))
	}
}

func TestRateLimit429IsWaitedOut(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject("/api/v3/klines", 1, binancetest.Status429(time.Second))
	start := day("2024-03-10")
	began := time.Now()
	res := e.run(t, context.Background(), spotReq(start, time.Time{}, []string{"BTCUSDT"}, "1m"), collector.ClientOptions{})
	okResults(t, res)
	if time.Since(began) < time.Second {
		t.Errorf("Retry-After of 1s was not waited out")
	}
	if st := e.fake.Stats(); st.TooMany != 1 || st.Banned != 0 {
		t.Errorf("429s %d, 418s %d", st.TooMany, st.Banned)
	}
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "1m"), e.expected(t, collector.Spot, "BTCUSDT", "1m", start, now))
}

func TestTransientFaultsAreRetried(t *testing.T) {
	e := newEnv(t)
	// Several of each: Go's transport silently retries one dropped reused connection.
	e.fake.Inject("/api/v3/klines", 2, binancetest.Status5xx(500))
	e.fake.Inject("/api/v3/klines", 3, binancetest.Drop())
	e.fake.Inject("/api/v3/klines", 1, binancetest.Status5xx(503))
	e.fake.Inject("/api/v3/klines", 1, binancetest.Truncate())
	e.fake.Inject("/api/v3/klines", 1, binancetest.Slow(3*time.Second)) // beyond the 2s attempt timeout
	start := day("2024-03-12")
	res := e.run(t, context.Background(), spotReq(start, time.Time{}, []string{"BTCUSDT"}, "1m"), collector.ClientOptions{})
	okResults(t, res)
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "1m"), e.expected(t, collector.Spot, "BTCUSDT", "1m", start, now))
	if st := e.fake.Stats(); st.Status[500] != 2 || st.Status[503] != 1 {
		t.Errorf("statuses %v", st.Status)
	}
}

func TestBanStopsAllTasks(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject("/api/v3/klines", 1, binancetest.Status418(time.Minute))
	syms := []string{"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"}
	began := time.Now()
	res := e.run(t, context.Background(), spotReq(day("2024-01-01"), time.Time{}, syms, "1m"), collector.ClientOptions{})
	if time.Since(began) > 10*time.Second {
		t.Errorf("ban did not stop the run promptly")
	}
	for _, r := range res {
		var banned *collector.BannedError
		if !errors.As(r.Err, &banned) {
			t.Errorf("task %s: %v, want BannedError", r.Task, r.Err)
		}
	}
	if st := e.fake.Stats(); st.Banned != 1 {
		t.Errorf("requests after the ban reached Binance: 418 answered %d times, %d requests", st.Banned, st.Requests["/api/v3/klines"])
	}
	assertNoTempFiles(t, e.dir)
}

func TestInvalidSymbolFailsOnlyItsTask(t *testing.T) {
	e := newEnv(t)
	res := e.run(t, context.Background(), spotReq(now.Add(-3*time.Hour), time.Time{}, []string{"NOPEUSDT", "BTCUSDT"}, "1m"), collector.ClientOptions{})
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "Invalid symbol") || !strings.Contains(res[0].Err.Error(), "-1121") {
		t.Fatalf("unknown symbol: %v", res[0].Err)
	}
	// 09:35 .. 12:33; the 12:34 candle is still open.
	if res[1].Err != nil || res[1].Added != 179 {
		t.Fatalf("other task: %+v", res[1])
	}
}

func TestPacingAvoids429(t *testing.T) {
	// A shortened window keeps this quick: 60 weight per second, while the
	// job needs ~90 weight of 1000-candle pages.
	e := newEnv(t, binancetest.WithWindow(time.Second), binancetest.WithWeightLimit(binancetest.Spot, 60))
	syms := []string{"BTCUSDT", "ETHUSDT", "BNBUSDT"}
	start := now.Add(-10 * 24 * time.Hour)
	res := e.run(t, context.Background(), spotReq(start, time.Time{}, syms, "1m"), collector.ClientOptions{Window: time.Second})
	okResults(t, res)
	st := e.fake.Stats()
	if st.TooMany != 0 {
		t.Fatalf("%d x 429 with pacing; weight per window %v", st.TooMany, st.WeightPerWindow)
	}
	for _, w := range st.WeightPerWindow[binancetest.Spot] {
		if w > 60 {
			t.Fatalf("a window used %d weight of 60", w)
		}
	}
	for _, s := range syms {
		sameKlines(t, e.stored(t, collector.Spot, s, "1m"), e.expected(t, collector.Spot, s, "1m", start, now))
	}
}

func TestOneDayThreeSymbolsRealLimit(t *testing.T) {
	e := newEnv(t, binancetest.WithWeightLimit(binancetest.Spot, 6000))
	okResults(t, e.run(t, context.Background(), spotReq(now.Add(-24*time.Hour), time.Time{}, []string{"BTCUSDT", "ETHUSDT", "BNBUSDT"}, "1m"), collector.ClientOptions{}))
	if st := e.fake.Stats(); st.TooMany != 0 {
		t.Fatalf("%d x 429", st.TooMany)
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			out[p] = fi.ModTime().String() + " " + fi.Name()
		}
		return nil
	})
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		// A folder's lock file stays by design (storage/lock.go).
		if err == nil && !fi.IsDir() && !strings.HasSuffix(p, ".parquet") && fi.Name() != ".lakehouse.lock" {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}
