package cmd

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// tradesFake serves trades for BTCUSDT on spot and usdm, a few a minute.
func tradesFake(t *testing.T, opts ...binancetest.Option) *binancetest.Server {
	return newFake(t, append([]binancetest.Option{
		binancetest.WithTrades(binancetest.Spot, 3, "BTCUSDT"),
		binancetest.WithTrades(binancetest.USDM, 3, "BTCUSDT"),
	}, opts...)...)
}

// storedTrades reads every stored row of a trades or agg_trades series,
// in file order, as the fake's types, checking the files' order on the way.
func storedTrades(t *testing.T, dir string, d *transform.Dataset, market string) ([]transform.Trade, []transform.AggTrade) {
	t.Helper()
	ctx := context.Background()
	store := openTestLake(t, dir)
	series := storage.Series{Dataset: d.Name, Market: market, Symbol: "BTCUSDT"}
	keys, err := store.List(ctx, series)
	if err != nil {
		t.Fatal(err)
	}
	var trades []transform.Trade
	var aggs []transform.AggTrade
	for _, k := range keys {
		rec, _, err := store.Read(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if d == transform.TradesData {
			trades = append(trades, transform.Trades(rec)...)
		} else {
			aggs = append(aggs, transform.AggTrades(rec)...)
		}
		rec.Release()
	}
	return trades, aggs
}

func openTestLake(t *testing.T, dir string) *storage.Store {
	t.Helper()
	b, err := storage.OpenBackendWith(context.Background(), mustOutput(t, dir), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := storage.NewStore(b, memory.DefaultAllocator, storage.WriteOptions{})
	t.Cleanup(func() { s.Close() })
	return s
}

func mustOutput(t *testing.T, dir string) *url.URL {
	t.Helper()
	u, err := storage.ParseOutput(dir)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sameTrades compares stored trades with the fake's, exactly.
func sameTrades(t *testing.T, got []transform.Trade, want []binancetest.Trade) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d trades stored, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.Time != w.Time || g.Price != num(t, w.Price) || g.Qty != num(t, w.Qty) ||
			g.QuoteQty != num(t, w.QuoteQty) || g.IsBuyerMaker != w.IsBuyerMaker {
			t.Fatalf("trade %d: stored %+v, want %+v", i, g, w)
		}
	}
}

func sameAggTrades(t *testing.T, got []transform.AggTrade, want []binancetest.AggTrade) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d agg trades stored, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.Time != w.Time || g.Price != num(t, w.Price) || g.Qty != num(t, w.Qty) ||
			g.FirstTradeID != w.FirstTradeID || g.LastTradeID != w.LastTradeID || g.IsBuyerMaker != w.IsBuyerMaker {
			t.Fatalf("agg trade %d: stored %+v, want %+v", i, g, w)
		}
	}
}

type collectSummary struct {
	Tasks []struct {
		Dataset string   `json:"dataset"`
		Status  string   `json:"status"`
		Added   int      `json:"rows_added"`
		Files   []string `json:"files_written"`
		Error   string   `json:"error"`
		Notes   []string `json:"notes"`
	} `json:"tasks"`
	RowsAdded int `json:"rows_added"`
	Files     int `json:"files_written"`
}

func tradesSummary(t *testing.T, r result) collectSummary {
	t.Helper()
	var s collectSummary
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("summary: %v\n%s\n%s", err, r.out, r.err)
	}
	return s
}

// TestTradesBackfillEqualsFake: a backfill of spot trades and agg_trades
// over a whole past month (monthly zips), days of the current month
// (daily zips) and today (REST by id) stores exactly the fake's rows, one
// file per day; a second run writes nothing and a resumed run adds what
// is new.
func TestTradesBackfillEqualsFake(t *testing.T) {
	fake := tradesFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	args := []string{"collect", "--symbols", "btcusdt", "--data", "trades,aggTrades", "--start", "2024-02-01",
		"--output", dir, "--binance-api-url", fake.URL(), "--summary", "json"}
	r := run(t, nil, args...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	s := tradesSummary(t, r)
	if len(s.Tasks) != 2 || s.Tasks[0].Dataset != "trades" || s.Tasks[1].Dataset != "agg_trades" {
		t.Fatalf("tasks: %+v", s.Tasks)
	}
	start := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	trades, _ := storedTrades(t, dir, transform.TradesData, "spot")
	want := fake.Trades(binancetest.Spot, "BTCUSDT", start, testNow)
	sameTrades(t, trades, want)
	_, aggs := storedTrades(t, dir, transform.AggTradesData, "spot")
	sameAggTrades(t, aggs, fake.AggTrades(binancetest.Spot, "BTCUSDT", start, testNow))
	// 29 days of February, 15 of March.
	if n := len(s.Tasks[0].Files); n != 44 {
		t.Errorf("%d trades files, want 44", n)
	}
	reqs := fake.Stats().Requests
	for _, p := range []string{"/data/spot/monthly/trades/BTCUSDT/BTCUSDT-trades-2024-02.zip", "/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-03-14.zip",
		"/data/spot/monthly/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-02.zip", "/api/v3/historicalTrades", "/api/v3/aggTrades"} {
		if reqs[p] == 0 {
			t.Errorf("no request for %s: %v", p, reqs)
		}
	}

	again := tradesSummary(t, run(t, nil, args...))
	if again.RowsAdded != 0 || again.Files != 0 {
		t.Errorf("second run added %d rows, wrote %d files", again.RowsAdded, again.Files)
	}
	resumed := run(t, nil, "collect", "--symbols", "BTCUSDT", "--data", "trades", "--output", dir, "--binance-api-url", fake.URL(), "--summary", "json")
	if rs := tradesSummary(t, resumed); resumed.code != ExitOK || rs.RowsAdded != 0 || rs.Files != 0 {
		t.Errorf("resumed run: exit %d, %+v", resumed.code, rs)
	}
}

// TestTradesSourcesAgree: auto, api and archive store the same rows where
// they overlap.
func TestTradesSourcesAgree(t *testing.T) {
	fake := tradesFake(t)
	lakes := map[string]string{}
	for _, source := range []string{"auto", "api", "archive"} {
		dir := filepath.Join(t.TempDir(), source)
		lakes[source] = dir
		r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--data", "trades,agg_trades", "--start", "2024-03-13T06:00:00Z", "--end", "2024-03-14T18:00:00Z",
			"--source", source, "--output", dir, "--binance-api-url", fake.URL(), "--summary", "json")
		if r.code != ExitOK {
			t.Fatalf("%s: exit %d: %s %s", source, r.code, r.out, r.err)
		}
	}
	start, end := time.Date(2024, 3, 13, 6, 0, 0, 0, time.UTC), time.Date(2024, 3, 14, 18, 0, 0, 0, time.UTC)
	for source, dir := range lakes {
		trades, _ := storedTrades(t, dir, transform.TradesData, "spot")
		sameTrades(t, trades, fake.Trades(binancetest.Spot, "BTCUSDT", start, end))
		_, aggs := storedTrades(t, dir, transform.AggTradesData, "spot")
		sameAggTrades(t, aggs, fake.AggTrades(binancetest.Spot, "BTCUSDT", start, end))
		if t.Failed() {
			t.Fatalf("source %s differs", source)
		}
	}
}

// TestFuturesTradesArchiveOnly: futures trades have no key-free REST
// source: the archive serves them up to yesterday, today is a note in the
// summary and the dry run, and the task does not fail.
func TestFuturesTradesArchiveOnly(t *testing.T) {
	fake := tradesFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	args := []string{"collect", "--market", "usdm", "--symbols", "BTCUSDT", "--data", "trades", "--start", "2024-03-13",
		"--output", dir, "--binance-api-url", fake.URL()}
	dry := run(t, nil, append(args, "--dry-run")...)
	if dry.code != ExitOK || !strings.Contains(dry.out, "archive only (no key-free REST source)") {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.out, dry.err)
	}
	r := run(t, nil, append(args, "--summary", "json")...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	s := tradesSummary(t, r)
	if len(s.Tasks) != 1 || len(s.Tasks[0].Notes) != 1 || !strings.Contains(s.Tasks[0].Notes[0], "only in its archive") {
		t.Errorf("summary notes: %+v", s.Tasks)
	}
	today := time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)
	trades, _ := storedTrades(t, dir, transform.TradesData, "usdm")
	sameTrades(t, trades, fake.Trades(binancetest.USDM, "BTCUSDT", time.Date(2024, 3, 13, 0, 0, 0, 0, time.UTC), today))
	for p := range fake.Stats().Requests {
		if strings.Contains(p, "Trades") && !strings.HasPrefix(p, "/data/") {
			t.Errorf("REST request %s for futures trades", p)
		}
	}
}

// TestDataFlagBadInputExit2: an unknown dataset or one the market lacks
// is one line and exit 2 before anything is fetched.
func TestDataFlagBadInputExit2(t *testing.T) {
	fake := tradesFake(t)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--data", "klines,orderbook"}, nil, `unknown dataset "orderbook": allowed are klines, trades, agg_trades`},
		{nil, map[string]string{"LAKEHOUSE_DATA": "candles"}, `unknown dataset "candles"`},
		{[]string{"--data", ""}, nil, "--data is empty"},
	} {
		dir := filepath.Join(t.TempDir(), "lake")
		before := total(fake.Stats().Requests)
		r := run(t, tc.env, append([]string{"collect", "--symbols", "BTCUSDT", "--output", dir, "--binance-api-url", fake.URL()}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
			t.Errorf("%v %v: exit %d, stderr %q; want 2 and %q", tc.args, tc.env, r.code, r.err, tc.want)
		}
		if total(fake.Stats().Requests) != before {
			t.Error("bad input reached Binance")
		}
	}
}
