package cmd

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// tradesLake collects spot trades and agg_trades from 2024-03-13 on
// (daily zips, then today by REST) and usdm trades (archive only, up to
// yesterday) into a new lake.
func tradesLake(t *testing.T, fake *binancetest.Server) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lake")
	for _, market := range []string{"spot", "usdm"} {
		data := "trades,agg_trades"
		if market == "usdm" {
			data = "trades"
		}
		r := run(t, nil, "collect", "--market", market, "--symbols", "BTCUSDT", "--data", data, "--start", "2024-03-13",
			"--output", dir, "--binance-api-url", fake.URL())
		if r.code != ExitOK {
			t.Fatalf("collect %s: exit %d: %s %s", market, r.code, r.out, r.err)
		}
	}
	return dir
}

// sumQty adds decimal quantities as float64, in the fake's order.
func sumQty(t *testing.T, qty []string) float64 {
	var s float64
	for _, q := range qty {
		s += num(t, q)
	}
	return s
}

// TestDuckDBReadsTrades: DuckDB reads the trades and agg_trades lake with
// Hive partitioning: count, id range, time range and sum(qty) are the
// fake's, market and symbol come from the folder names, and the columns
// have SPEC section 8's types.
func TestDuckDBReadsTrades(t *testing.T) {
	fake := tradesFake(t)
	dir := tradesLake(t, fake)
	start := utcDay("2024-03-13")
	trades := fake.Trades(binancetest.Spot, "BTCUSDT", start, testNow)
	aggs := fake.AggTrades(binancetest.Spot, "BTCUSDT", start, testNow)
	var tq, aq []string
	for _, tr := range trades {
		tq = append(tq, tr.Qty)
	}
	for _, a := range aggs {
		aq = append(aq, a.Qty)
	}
	for _, tc := range []struct {
		dataset, key string
		n            int
		lo, hi       int64 // ids
		first, last  int64 // µs
		qty          float64
	}{
		{"trades", transform.ColID, len(trades), trades[0].ID, trades[len(trades)-1].ID, trades[0].Time, trades[len(trades)-1].Time, sumQty(t, tq)},
		{"agg_trades", transform.ColAggTradeID, len(aggs), aggs[0].ID, aggs[len(aggs)-1].ID, aggs[0].Time, aggs[len(aggs)-1].Time, sumQty(t, aq)},
	} {
		src := fmt.Sprintf(`read_parquet('%s/silver/%s/**/*.parquet', hive_partitioning = true)`, dir, tc.dataset)
		rows := duckdb(t, fmt.Sprintf(`SELECT market, symbol, count(*) AS n, min(%[1]s) AS lo, max(%[1]s) AS hi,
			epoch_us(min(time)) AS first, epoch_us(max(time)) AS last, sum(qty) AS qty
			FROM %[2]s WHERE market = 'spot' GROUP BY market, symbol`, tc.key, src))
		if len(rows) != 1 {
			t.Fatalf("%s: DuckDB returned %v, want one spot BTCUSDT row", tc.dataset, rows)
		}
		row := rows[0]
		str := func(v int64) string { return strconv.FormatInt(v, 10) }
		if row["market"] != "spot" || row["symbol"] != "BTCUSDT" || row["n"] != str(int64(tc.n)) || row["lo"] != str(tc.lo) || row["hi"] != str(tc.hi) ||
			row["first"] != str(tc.first) || row["last"] != str(tc.last) {
			t.Errorf("%s: DuckDB %v, want %d rows, ids %d..%d, times %d..%d µs", tc.dataset, row, tc.n, tc.lo, tc.hi, tc.first, tc.last)
		}
		if q, ok := row["qty"].(float64); !ok || math.Abs(q-tc.qty) > 1e-9*tc.qty {
			t.Errorf("%s: sum(qty) %v, want %v", tc.dataset, row["qty"], tc.qty)
		}

		types := duckdb(t, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM `+src+` WHERE market = 'spot')`)
		got := map[string]string{}
		for _, r := range types {
			got[r["column_name"].(string)] = r["column_type"].(string)
		}
		want := map[string]string{tc.key: "BIGINT", transform.ColPrice: "DOUBLE", transform.ColQty: "DOUBLE", transform.ColTime: "TIMESTAMP WITH TIME ZONE",
			transform.ColIsBuyerMaker: "BOOLEAN", transform.ColIsBestMatch: "BOOLEAN", "market": "VARCHAR", "symbol": "VARCHAR"}
		if tc.dataset == "trades" {
			want[transform.ColQuoteQty] = "DOUBLE"
		} else {
			want[transform.ColFirstTradeID], want[transform.ColLastTradeID] = "BIGINT", "BIGINT"
		}
		for col, typ := range want {
			if got[col] != typ {
				t.Errorf("%s: column %s is %q, want %s (all: %v)", tc.dataset, col, got[col], typ, got)
			}
		}
	}
	// The futures trades beside them, told apart by the market key.
	usdm := fake.Trades(binancetest.USDM, "BTCUSDT", start, utcDay("2024-03-15"))
	rows := duckdb(t, `SELECT count(*) AS n FROM read_parquet('`+dir+`/silver/trades/market=usdm/**/*.parquet', hive_partitioning = true) WHERE symbol = 'BTCUSDT'`)
	if len(rows) != 1 || rows[0]["n"] != strconv.Itoa(len(usdm)) {
		t.Errorf("usdm trades: DuckDB %v, want %d", rows, len(usdm))
	}
}

// TestInventoryTrades: inventory lists each trades series with the fake's
// rows, first and last id and first and last trade time.
func TestInventoryTrades(t *testing.T) {
	fake := tradesFake(t)
	dir := tradesLake(t, fake)
	r := run(t, nil, "inventory", "--output", dir, "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("inventory: exit %d: %s %s", r.code, r.out, r.err)
	}
	var inv struct {
		Series []struct {
			Dataset, Market, Symbol string
			First                   string `json:"first_candle"`
			Last                    string `json:"last_candle"`
			Rows                    int
			Files                   int
			FirstID                 *int64 `json:"first_id"`
			LastID                  *int64 `json:"last_id"`
		}
	}
	if err := json.Unmarshal([]byte(r.out), &inv); err != nil {
		t.Fatalf("inventory json: %v\n%s", err, r.out)
	}
	type span struct {
		rows, files         int
		firstID, lastID     int64
		firstTime, lastTime int64 // µs
	}
	start, today := utcDay("2024-03-13"), utcDay("2024-03-15")
	want := map[string]span{}
	tr := fake.Trades(binancetest.Spot, "BTCUSDT", start, testNow)
	want["trades/spot"] = span{len(tr), 3, tr[0].ID, tr[len(tr)-1].ID, tr[0].Time, tr[len(tr)-1].Time}
	ag := fake.AggTrades(binancetest.Spot, "BTCUSDT", start, testNow)
	want["agg_trades/spot"] = span{len(ag), 3, ag[0].ID, ag[len(ag)-1].ID, ag[0].Time, ag[len(ag)-1].Time}
	fu := fake.Trades(binancetest.USDM, "BTCUSDT", start, today)
	want["trades/usdm"] = span{len(fu), 2, fu[0].ID, fu[len(fu)-1].ID, fu[0].Time, fu[len(fu)-1].Time}
	if len(inv.Series) != len(want) {
		t.Fatalf("inventory lists %d series, want %d:\n%s", len(inv.Series), len(want), r.out)
	}
	sec := func(us int64) string { return time.UnixMicro(us).UTC().Truncate(time.Second).Format(time.RFC3339) }
	for _, s := range inv.Series {
		w, ok := want[s.Dataset+"/"+s.Market]
		if !ok || s.Symbol != "BTCUSDT" {
			t.Errorf("unexpected series %+v", s)
			continue
		}
		if s.Rows != w.rows || s.Files != w.files || s.FirstID == nil || s.LastID == nil || *s.FirstID != w.firstID || *s.LastID != w.lastID ||
			s.First != sec(w.firstTime) || s.Last != sec(w.lastTime) {
			t.Errorf("%s %s: inventory %+v (ids %v..%v), want %+v", s.Dataset, s.Market, s, deref(s.FirstID), deref(s.LastID), w)
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
