package cmd

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// The REST tail of today (2024-03-15 up to testNow) is three pages of
// historicalTrades and of aggTrades at three trades a minute.
const (
	tradesPath    = "/api/v3/historicalTrades"
	aggTradesPath = "/api/v3/aggTrades"
)

// TestTradesRESTTransientFaults: a 429 is waited out (its Retry-After)
// and counted, 5xx answers and dropped connections are retried, and the
// lake equals the fake.
func TestTradesRESTTransientFaults(t *testing.T) {
	fake := tradesFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	// Five failures in a row on one page: the sixth and last attempt of
	// the retry policy gets it.
	fake.Inject(tradesPath, 1, binancetest.Status429(time.Second))
	fake.Inject(tradesPath, 1, binancetest.Status5xx(500))
	fake.Inject(tradesPath, 2, binancetest.Drop())
	fake.Inject(tradesPath, 1, binancetest.Truncate())
	fake.Inject(aggTradesPath, 1, binancetest.Status5xx(503))
	fake.Inject(aggTradesPath, 2, binancetest.Drop())

	began := time.Now()
	r, s := tradesRun(t, fake, dir, "trades,agg_trades", "2024-03-15", "", "--console-export")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	if time.Since(began) < time.Second {
		t.Error("the Retry-After of 1s was not waited out")
	}
	if len(s.Tasks) != 2 || s.Tasks[0].Status != "ok" || s.Tasks[1].Status != "ok" {
		t.Fatalf("tasks: %+v", s.Tasks)
	}
	st := fake.Stats()
	if st.TooMany != 1 || st.Status[500] != 1 || st.Status[503] != 1 || st.Banned != 0 {
		t.Errorf("fake answered 429 x%d, 500 x%d, 503 x%d, 418 x%d; want 1, 1, 1, 0", st.TooMany, st.Status[500], st.Status[503], st.Banned)
	}
	counted := regexp.MustCompile(`"Name":"` + telemetry.APIRateLimits + `"[^\n]*?"Value":"429"\}\}\],"StartTime":"[^"]*","Time":"[^"]*","Value":1[,}]`)
	if !counted.MatchString(r.err) {
		t.Errorf("the 429 is not counted once in %s:\n%s", telemetry.APIRateLimits, r.err)
	}
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-03-15"), testNow, true, true)
	parquetFiles(t, dir, true)
}

// TestTradesRESTBanStopsAllREST: a 418 on the second page of trades stops
// every REST request of the run: the trades of the first page are stored
// (one complete file), the agg_trades task makes no request after the ban,
// the run exits 1, and a rerun completes the lake.
func TestTradesRESTBanStopsAllREST(t *testing.T) {
	fake := tradesFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	want := fake.Trades(binancetest.Spot, "BTCUSDT", utcDay("2024-03-15"), testNow)
	if len(want) <= 1000 {
		t.Fatalf("today holds %d trades, want more than a page", len(want))
	}
	first := strconv.FormatInt(want[0].ID, 10)
	gate := fake.Hold(func(r *http.Request) bool {
		return r.URL.Path == tradesPath && r.URL.Query().Get("fromId") != first
	})
	t.Cleanup(gate.Release)

	done := make(chan result, 1)
	go func() {
		done <- run(t, nil, "collect", "--symbols", "BTCUSDT", "--data", "trades,agg_trades", "--start", "2024-03-15", "--concurrency", "1",
			"--output", dir, "--binance-api-url", fake.URL(), "--summary", "json")
	}()
	select {
	case <-gate.Arrived(1):
	case r := <-done:
		t.Fatalf("the run ended before asking for a second page: exit %d\n%s%s", r.code, r.out, r.err)
	}
	aggsBefore := fake.Stats().Requests[aggTradesPath]
	fake.Inject(tradesPath, 1, binancetest.Status418(time.Minute))
	gate.Release()
	r := <-done
	if r.code != ExitFailed {
		t.Fatalf("exit %d, want 1: %s %s", r.code, r.out, r.err)
	}
	s := tradesSummary(t, r)
	if len(s.Tasks) != 2 || s.Tasks[0].Status != "failed" || s.Tasks[1].Status != "failed" {
		t.Fatalf("tasks: %+v", s.Tasks)
	}
	for _, task := range s.Tasks {
		if !strings.Contains(task.Error, "banned") {
			t.Errorf("%s: error %q does not say banned", task.Dataset, task.Error)
		}
	}
	st := fake.Stats()
	if st.Banned != 1 || st.Requests[tradesPath] != 2 || st.Requests[aggTradesPath] != aggsBefore {
		t.Errorf("after the ban: 418 x%d, %d trades pages (want 2), aggTrades requests %d -> %d (want none)",
			st.Banned, st.Requests[tradesPath], aggsBefore, st.Requests[aggTradesPath])
	}
	got, _ := storedTrades(t, dir, transform.TradesData, "spot")
	sameTrades(t, got, want[:1000])
	if files := parquetFiles(t, dir, true); len(files) != 1 {
		t.Errorf("files after the ban: %v, want today's trades", files)
	}

	r, _ = tradesRun(t, fake, dir, "trades,agg_trades", "2024-03-15", "")
	if r.code != ExitOK {
		t.Fatalf("rerun: exit %d: %s %s", r.code, r.out, r.err)
	}
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-03-15"), testNow, true, true)
}
