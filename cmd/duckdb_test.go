package cmd

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// duckdb runs SQL in DuckDB (npm @duckdb/node-api, installed by `make
// test`) and returns the rows. Without the package the test is skipped,
// unless LAKEHOUSE_REQUIRE_DUCKDB=1 (as in `make test`) makes it fail.
func duckdb(t *testing.T, sql string) []map[string]any {
	t.Helper()
	script, _ := filepath.Abs("../tools/duckdb/query.mjs")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules/@duckdb/node-api")); err != nil {
		testenv.Missing(t, testenv.DuckDB, err.Error())
	}
	out, err := exec.Command("node", script, sql).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("duckdb: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("duckdb: %v", err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("duckdb output: %v\n%s", err, out)
	}
	return rows
}

func TestDuckDBReadsTheLake(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	start, end := time.Date(2024, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	r := run(t, nil, "collect", "--symbols", "BTCUSDT,ETHUSDT", "--timeframes", "5m,1h", "--start", "2024-02-28", "--end", "2024-03-02",
		"--output", dir, "--binance-api-url", fake.URL())
	if r.code != ExitOK {
		t.Fatalf("collect: exit %d %s %s", r.code, r.out, r.err)
	}
	rows := duckdb(t, `SELECT market, symbol, interval, epoch_ms(open_time)::BIGINT AS ot, open, high, low, close, volume,
		epoch_ms(close_time)::BIGINT AS ct, quote_volume, trades, taker_buy_base_volume AS tbb, taker_buy_quote_volume AS tbq
		FROM read_parquet('`+dir+`/silver/klines/**/*.parquet', hive_partitioning = true)
		ORDER BY symbol, interval, ot`)
	var want []map[string]any
	for _, sym := range []string{"BTCUSDT", "ETHUSDT"} {
		for _, iv := range []string{"1h", "5m"} { // DuckDB orders '1h' before '5m'
			for _, k := range fake.Klines(binancetest.Spot, sym, iv, start, end) {
				want = append(want, map[string]any{"market": "spot", "symbol": sym, "interval": iv, "ot": k.OpenTime, "k": k})
			}
		}
	}
	if len(rows) != len(want) || len(rows) != 2*(72+864) {
		t.Fatalf("DuckDB read %d rows, want %d", len(rows), len(want))
	}
	num := func(v any) float64 {
		f, ok := v.(float64)
		if !ok {
			t.Fatalf("not a number: %#v", v)
		}
		return f
	}
	str := func(s string) float64 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for i, row := range rows {
		w := want[i]
		k := w["k"].(binancetest.Kline)
		if row["market"] != "spot" || row["symbol"] != w["symbol"] || row["interval"] != w["interval"] ||
			row["ot"] != strconv.FormatInt(k.OpenTime, 10) || row["ct"] != strconv.FormatInt(k.CloseTime, 10) ||
			row["trades"] != strconv.FormatInt(k.Trades, 10) ||
			num(row["open"]) != str(k.Open) || num(row["high"]) != str(k.High) || num(row["low"]) != str(k.Low) ||
			num(row["close"]) != str(k.Close) || num(row["volume"]) != str(k.Volume) || num(row["quote_volume"]) != str(k.QuoteVolume) ||
			num(row["tbb"]) != str(k.TakerBuyBase) || num(row["tbq"]) != str(k.TakerBuyQuote) {
			t.Fatalf("row %d: DuckDB %v, fake %+v", i, row, k)
		}
	}
	// The columns have the SPEC's types, as another tool sees them.
	types := duckdb(t, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('`+dir+`/silver/klines/**/*.parquet', hive_partitioning = true))`)
	got := map[string]string{}
	for _, r := range types {
		got[r["column_name"].(string)] = r["column_type"].(string)
	}
	for col, typ := range map[string]string{transform.ColOpenTime: "TIMESTAMP WITH TIME ZONE", transform.ColCloseTime: "TIMESTAMP WITH TIME ZONE",
		transform.ColOpen: "DOUBLE", transform.ColTrades: "BIGINT", transform.ColTakerBuyQuoteVolume: "DOUBLE", "symbol": "VARCHAR"} {
		if got[col] != typ {
			t.Errorf("column %s is %s, want %s (all: %v)", col, got[col], typ, got)
		}
	}
}
