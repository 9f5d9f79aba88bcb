package cmd

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
)

type deriveSummary struct {
	Targets []deriveTarget `json:"targets"`
	Files   int            `json:"files"`
}

func deriveRun(t *testing.T, dir string, args ...string) deriveSummary {
	t.Helper()
	r := run(t, nil, append([]string{"derive", "--output", dir, "--summary", "json"}, args...)...)
	if r.code != ExitOK {
		t.Fatalf("derive %v: exit %d\n%s%s", args, r.code, r.out, r.err)
	}
	var s deriveSummary
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("derive summary: %v\n%s", err, r.out)
	}
	return s
}

// TestDeriveBadInputExit2: bad gold flags are one line and exit 2 before
// anything is read or written.
func TestDeriveBadInputExit2(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--timeframes", "7x"}, `unknown interval "7x"`},
		{[]string{"--timeframes", "1m"}, "1m is silver already"},
		{[]string{"--gold", "candels"}, `unknown gold dataset "candels"`},
		{[]string{"--gold", "trade_bars"}, "trade_bars needs --bar"},
		{[]string{"--bar", "volume:-1"}, `unknown bar "volume:-1"`},
		{[]string{"--bar", "time:7ms"}, "divides a day"},
		{[]string{"--market", "options"}, `unknown market "options"`},
		{[]string{"--start", "2024-03-02", "--end", "2024-03-01"}, "is not before --end"},
	} {
		r := run(t, nil, append([]string{"derive", "--output", dir}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

// TestTradeBarsEqualKlinesAndDuckDB (issue 15): time bars of 1m built from
// trades equal the 1m klines; volume and dollar bars, derived day by day
// across runs (a bar open at midnight carried into the next day's file),
// equal an independent DuckDB query over all the trades in one pass; a
// rerun writes nothing.
func TestTradeBarsEqualKlinesAndDuckDB(t *testing.T) {
	fake := tradesFake(t)
	downloadTemp(t)
	dir := filepath.Join(t.TempDir(), "lake")
	collect := func(start, end string) {
		if r, _ := tradesRun(t, fake, dir, "trades", start, end); r.code != ExitOK {
			t.Fatalf("collect trades: exit %d %s", r.code, r.err)
		}
		if r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--timeframes", "1m", "--start", start, "--end", end, "--output", dir, "--binance-api-url", fake.URL()); r.code != ExitOK {
			t.Fatalf("collect klines: exit %d %s", r.code, r.err)
		}
	}
	bars := []string{"--gold", "trade_bars", "--bar", "time:1m", "--bar", "volume:0.5", "--bar", "dollar:25000"}
	collect("2024-03-12", "2024-03-13")
	first := deriveRun(t, dir, bars...)
	collect("2024-03-13", "2024-03-14")
	second := deriveRun(t, dir, bars...)
	if first.Files != 3 || second.Files != 3 {
		t.Errorf("files written: first run %d, second run %d; want one day per bar kind each", first.Files, second.Files)
	}
	if again := deriveRun(t, dir, bars...); again.Files != 0 {
		t.Errorf("a rerun with nothing new wrote %d files", again.Files)
	}

	lake := filepath.ToSlash(dir)
	// Time bars at 1m = the 1m klines.
	diff := duckdb(t, fmt.Sprintf(`
		WITH b AS (SELECT * FROM read_parquet('%[1]s/gold/trade_bars/market=spot/bar=time-1m/symbol=BTCUSDT/*.parquet')),
		     k AS (SELECT * FROM read_parquet('%[1]s/silver/klines/market=spot/interval=1m/symbol=BTCUSDT/*.parquet'))
		SELECT count(*) AS n, count(k.open_time) AS matched,
		       count(*) FILTER (WHERE b.open <> k.open OR b.high <> k.high OR b.low <> k.low OR b.close <> k.close OR b.trades <> k.trades
		                        OR abs(b.volume - k.volume) > 1e-9 * k.volume OR abs(b.quote_volume - k.quote_volume) > 1e-9 * k.quote_volume
		                        OR abs(b.taker_buy_base_volume - k.taker_buy_base_volume) > 1e-9 * k.volume) AS differ
		FROM b LEFT JOIN k ON epoch_ms(k.open_time) = epoch_ms(b.open_time)`, lake))
	if n := dnum(diff[0]["n"]); n != 2*1440 || dnum(diff[0]["matched"]) != n || dnum(diff[0]["differ"]) != 0 {
		t.Errorf("1m time bars vs 1m klines: %v", diff[0])
	}

	// Volume and dollar bars against one recursive pass over every trade.
	for _, tc := range []struct{ folder, amount, threshold string }{{"volume-0.5", "qty", "0.5"}, {"dollar-25000", "quote_qty", "25000"}} {
		want := duckdb(t, fmt.Sprintf(`
			WITH RECURSIVE t AS (SELECT row_number() OVER (ORDER BY id) AS rn, id, price, qty, quote_qty, %[2]s AS amt
			                     FROM read_parquet('%[1]s/silver/trades/market=spot/symbol=BTCUSDT/*.parquet')),
			r(rn, bar, acc) AS (
			  SELECT rn, 0, amt FROM t WHERE rn = 1
			  UNION ALL
			  SELECT t.rn, CASE WHEN r.acc >= %[3]s THEN r.bar + 1 ELSE r.bar END, CASE WHEN r.acc >= %[3]s THEN t.amt ELSE r.acc + t.amt END
			  FROM r JOIN t ON t.rn = r.rn + 1),
			bars AS (SELECT bar, min(id) AS first_id, max(id) AS last_id, arg_min(price, id) AS open, max(price) AS high, min(price) AS low,
			                arg_max(price, id) AS close, sum(qty) AS volume, count(*) AS trades, max(acc) AS amount
			         FROM r JOIN t USING (rn) GROUP BY bar)
			SELECT * FROM bars WHERE amount >= %[3]s ORDER BY bar`, lake, tc.amount, tc.threshold))
		got := duckdb(t, fmt.Sprintf(`SELECT first_trade_id, last_trade_id, open, high, low, close, volume, trades
			FROM read_parquet('%s/gold/trade_bars/market=spot/bar=%s/symbol=BTCUSDT/*.parquet') ORDER BY first_trade_id`, lake, tc.folder))
		if len(got) != len(want) || len(want) < 10 {
			t.Fatalf("%s: %d bars derived, DuckDB finds %d complete ones", tc.folder, len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if dnum(g["first_trade_id"]) != dnum(w["first_id"]) || dnum(g["last_trade_id"]) != dnum(w["last_id"]) || dnum(g["trades"]) != dnum(w["trades"]) ||
				dnum(g["open"]) != dnum(w["open"]) || dnum(g["high"]) != dnum(w["high"]) || dnum(g["low"]) != dnum(w["low"]) || dnum(g["close"]) != dnum(w["close"]) ||
				math.Abs(dnum(g["volume"])-dnum(w["volume"])) > 1e-9*dnum(w["volume"]) {
				t.Fatalf("%s bar %d:\nderived %v\nduckdb  %v", tc.folder, i, g, w)
			}
		}
	}
}

// dnum reads a DuckDB JSON number (bigints come as strings).
func dnum(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		var f float64
		fmt.Sscan(x, &f)
		return f
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return math.NaN()
}

var _ = binancetest.Spot

// TestDeriveCLIEndToEnd: collect --derive builds the gold series of what it
// wrote; verify and inventory cover gold; new silver makes the gold files
// built from it stale (verify exit 1) until derive rebuilds exactly those;
// DuckDB reads the gold layer.
func TestDeriveCLIEndToEnd(t *testing.T) {
	fake := newFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	collect := []string{"collect", "--symbols", "BTCUSDT", "--timeframes", "1m", "--output", dir, "--binance-api-url", fake.URL(), "--summary", "json"}
	r := run(t, nil, append(collect, "--start", "2024-02-20", "--end", "2024-03-05", "--derive", "--derive-timeframes", "10m,1h,1w")...)
	if r.code != ExitOK {
		t.Fatalf("collect --derive: exit %d\n%s%s", r.code, r.out, r.err)
	}
	var s struct {
		Derive []deriveTarget `json:"derive"`
	}
	if err := json.Unmarshal([]byte(r.out), &s); err != nil || len(s.Derive) != 4 {
		t.Fatalf("collect --derive summary: %v %+v\n%s", err, s.Derive, r.out)
	}
	for _, d := range s.Derive {
		if d.Status != "ok" || len(d.Files) == 0 {
			t.Errorf("derived %+v", d)
		}
	}
	if r := run(t, nil, "verify", "--output", dir); r.code != ExitOK || !strings.Contains(r.out, "candles spot 10m BTCUSDT: OK") {
		t.Fatalf("verify of silver and gold: exit %d\n%s", r.code, r.out)
	}
	inv := run(t, nil, "inventory", "--output", dir, "--data", "candles,daily_summary")
	for _, want := range []string{"candles  ", "10m", "1w", "daily_summary"} {
		if !strings.Contains(inv.out, want) {
			t.Errorf("inventory of gold lacks %q:\n%s", want, inv.out)
		}
	}

	// More silver in March: the gold files built from March are stale.
	if r := run(t, nil, append(collect, "--start", "2024-03-05", "--end", "2024-03-07")...); r.code != ExitOK {
		t.Fatalf("collect: exit %d %s", r.code, r.err)
	}
	v := run(t, nil, "verify", "--output", dir)
	if v.code != ExitFailed || strings.Count(v.out, "stale ") != 4 {
		t.Errorf("verify after new silver: exit %d, want 4 stale gold files (10m 2024-03, 1h 2024, 1w 2024, daily 2024)\n%s", v.code, v.out)
	}
	got := deriveRun(t, dir, "--timeframes", "10m,1h,1w")
	if got.Files != 4 {
		t.Errorf("derive rebuilt %d files, want the 4 stale ones: %+v", got.Files, got.Targets)
	}
	if r := run(t, nil, "verify", "--output", dir); r.code != ExitOK {
		t.Errorf("verify after derive: exit %d\n%s", r.code, r.out)
	}
	rows := duckdb(t, fmt.Sprintf(`SELECT interval, count(*) AS n, sum(input_rows) AS inputs FROM read_parquet('%s/gold/candles/**/*.parquet', hive_partitioning = true) GROUP BY interval ORDER BY interval`, filepath.ToSlash(dir)))
	if len(rows) != 3 || dnum(rows[0]["inputs"]) != 16*1440 {
		t.Errorf("DuckDB over gold candles: %v", rows)
	}
}

// TestDeriveTelemetry: derive records its workflow (workflow=derive), its
// processing stage and storage operations, and spans derive -> derive.target.
func TestDeriveTelemetry(t *testing.T) {
	fake := newFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	if r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--start", "2024-03-10", "--output", dir, "--binance-api-url", fake.URL()); r.code != ExitOK {
		t.Fatalf("collect: exit %d %s", r.code, r.err)
	}
	r := run(t, nil, "derive", "--output", dir, "--timeframes", "1h", "--console-export", "--summary", "json")
	if r.code != ExitOK {
		t.Fatalf("derive: exit %d %s", r.code, r.err)
	}
	var s deriveSummary
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("stdout is not the JSON summary alone: %v\n%s", err, r.out)
	}
	for _, want := range []string{`"Name":"derive"`, `"Name":"derive.target"`, `"Value":"derive"`, "derive_candles", "derive_daily_summary",
		`"Name":"crypto_workflow_executions_total"`, `"Name":"crypto_processing_duration_seconds"`, `"Name":"crypto_storage_operations_total"`} {
		if !strings.Contains(r.err, want) {
			t.Errorf("console export lacks %s", want)
		}
	}
}

// TestDailySummaryFundingRateSum (SPEC section 9): on futures the daily
// summary sums the day's funding rates (null for days without funding
// stored, and on spot); collecting more funding makes that year's summary
// stale until derive rebuilds it.
func TestDailySummaryFundingRateSum(t *testing.T) {
	fake := newFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	base := []string{"collect", "--market", "usdm", "--symbols", "BTCUSDT", "--output", dir, "--binance-api-url", fake.URL()}
	for _, args := range [][]string{
		{"--data", "klines", "--timeframes", "1m", "--start", "2024-03-08", "--end", "2024-03-12"},
		{"--data", "funding_rate", "--start", "2024-03-09", "--end", "2024-03-11"},
	} {
		if r := run(t, nil, append(base, args...)...); r.code != ExitOK {
			t.Fatalf("collect %v: exit %d %s", args, r.code, r.err)
		}
	}
	deriveRun(t, dir, "--market", "usdm", "--gold", "daily_summary")
	lake := filepath.ToSlash(dir)
	q := fmt.Sprintf(`
		WITH f AS (SELECT date_trunc('day', funding_time) AS day, sum(funding_rate) AS s, count(*) AS n
		           FROM read_parquet('%[1]s/silver/funding_rate/market=usdm/symbol=BTCUSDT/*.parquet') GROUP BY ALL)
		SELECT strftime(d.day, '%%Y-%%m-%%d') AS day, d.funding_rate_sum AS got, f.s AS want, f.n AS settlements
		FROM read_parquet('%[1]s/gold/daily_summary/market=usdm/symbol=BTCUSDT/*.parquet') d LEFT JOIN f ON f.day = d.day ORDER BY d.day`, lake)
	rows := duckdb(t, q)
	if len(rows) != 4 {
		t.Fatalf("daily summary days: %v", rows)
	}
	for _, r := range rows {
		inFunding := r["day"] == "2024-03-09" || r["day"] == "2024-03-10"
		switch {
		case inFunding && (r["got"] == nil || dnum(r["settlements"]) != 3 || math.Abs(dnum(r["got"])-dnum(r["want"])) > 1e-15):
			t.Errorf("%v: funding_rate_sum %v, want the sum of its 3 settlements %v", r["day"], r["got"], r["want"])
		case !inFunding && r["got"] != nil:
			t.Errorf("%v: funding_rate_sum %v, want null (no funding stored)", r["day"], r["got"])
		}
	}
	// More funding: the summary built from the funding year file is stale.
	if r := run(t, nil, append(base, "--data", "funding_rate", "--start", "2024-03-11", "--end", "2024-03-12")...); r.code != ExitOK {
		t.Fatalf("collect funding: exit %d %s", r.code, r.err)
	}
	if v := run(t, nil, "verify", "--output", dir, "--data", "daily_summary"); v.code != ExitFailed || !strings.Contains(v.out, "stale") {
		t.Errorf("verify after new funding: exit %d\n%s", v.code, v.out)
	}
	if s := deriveRun(t, dir, "--market", "usdm", "--gold", "daily_summary"); s.Files != 1 {
		t.Errorf("derive after new funding wrote %d files, want the year's summary", s.Files)
	}
	for _, r := range duckdb(t, q) {
		if r["day"] == "2024-03-11" && r["got"] == nil {
			t.Errorf("2024-03-11 after its funding was collected: funding_rate_sum null")
		}
	}
}
