package cmd

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// storedFunding reads every stored funding rate of a series, in file
// order, and the files' periods.
func storedFunding(t *testing.T, dir, market, symbol string) ([]transform.FundingRate, []string) {
	t.Helper()
	ctx := context.Background()
	store := openTestLake(t, dir)
	keys, err := store.List(ctx, storage.Series{Dataset: transform.FundingRateData.Name, Market: market, Symbol: symbol})
	if err != nil {
		t.Fatal(err)
	}
	var rows []transform.FundingRate
	var periods []string
	for _, k := range keys {
		rec, _, err := store.Read(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, transform.FundingRates(rec)...)
		rec.Release()
		periods = append(periods, k.Period)
	}
	return rows, periods
}

// sameFunding compares stored settlements with the fake's: the time
// floored to the second, the rate, calc_time as sent; mark_price where the
// row came from REST (at or after restFrom) and funding_interval_hours
// where it came from the archive.
func sameFunding(t *testing.T, got []transform.FundingRate, want []binancetest.FundingRate, restFrom time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d settlements stored, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		fromREST := w.Time >= restFrom.UnixMilli()
		ok := g.FundingTime == w.Time/1000*1000 && g.CalcTime == w.Time && g.Rate == num(t, w.Rate) &&
			g.HasMarkPrice == fromREST && g.HasIntervalHours == !fromREST
		if fromREST {
			ok = ok && g.MarkPrice == num(t, w.MarkPrice)
		} else {
			ok = ok && g.IntervalHours == int64(w.IntervalHours)
		}
		if !ok {
			t.Fatalf("settlement %d: stored %+v, want %+v (from REST: %v)", i, g, w, fromREST)
		}
	}
}

// TestFundingRateBackfillEqualsFake: funding rates of usdm and coinm from
// November 2023 on: past months from monthly zips, March 2024 (the
// current month) from REST, one file per year. A second run writes
// nothing; a run without --start resumes after the newest settlement.
func TestFundingRateBackfillEqualsFake(t *testing.T) {
	fake := newFake(t)
	march := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		market binancetest.Market
		symbol string
		prefix string
	}{
		{binancetest.USDM, "BTCUSDT", "/fapi/v1"},
		{binancetest.COINM, "BTCUSD_PERP", "/dapi/v1"},
	} {
		t.Run(string(tc.market), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "lake")
			args := []string{"collect", "--market", string(tc.market), "--symbols", tc.symbol, "--data", "funding_rate",
				"--output", dir, "--binance-api-url", fake.URL(), "--summary", "json"}
			// Up to March 10th first, then resumed to now.
			r := run(t, nil, append(args, "--start", "2023-11-01", "--end", "2024-03-10")...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
			}
			start := time.Date(2023, 11, 1, 0, 0, 0, 0, time.UTC)
			first, _ := storedFunding(t, dir, string(tc.market), tc.symbol)
			sameFunding(t, first, fake.FundingRates(tc.market, tc.symbol, start, time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)), march)

			resumed := tradesSummary(t, run(t, nil, args...))
			// March 10th 00:00 to 12:34:56 on the 15th: 5 days and 2 settlements.
			if resumed.RowsAdded != 17 || resumed.Files != 1 {
				t.Errorf("resumed run added %d rows in %d files, want 17 in 1", resumed.RowsAdded, resumed.Files)
			}
			got, periods := storedFunding(t, dir, string(tc.market), tc.symbol)
			want := fake.FundingRates(tc.market, tc.symbol, start, testNow)
			sameFunding(t, got, want, march)
			if len(want) != 3*(30+31+31+29+14)+2 {
				t.Errorf("the fake has %d settlements", len(want))
			}
			if strings.Join(periods, ",") != "2023,2024" {
				t.Errorf("files %v, want 2023 and 2024", periods)
			}
			reqs := fake.Stats().Requests
			for _, p := range []string{binancetest.FundingArchivePath(tc.market, tc.symbol, start), binancetest.FundingArchivePath(tc.market, tc.symbol, march.AddDate(0, -1, 0)),
				tc.prefix + "/fundingRate"} {
				if reqs[p] == 0 {
					t.Errorf("no request for %s", p)
				}
			}
			if reqs[binancetest.FundingArchivePath(tc.market, tc.symbol, march)] != 0 {
				t.Error("asked the archive for the current month")
			}
			again := run(t, nil, append(args, "--start", "2023-11-01")...)
			if s := tradesSummary(t, again); again.code != ExitOK || s.RowsAdded != 0 || s.Files != 0 {
				t.Errorf("second run: exit %d, added %d rows, wrote %d files", again.code, s.RowsAdded, s.Files)
			}
			v := run(t, nil, "verify", "--output", dir)
			if v.code != ExitOK {
				t.Errorf("verify: exit %d: %s %s", v.code, v.out, v.err)
			}
		})
	}
}

// TestFundingRateFaultsLoseNothing: a month whose zip stays corrupt fails
// the task, stores the months before it and nothing after; the next run
// fetches it and the lake equals the fake. A month Binance has not
// published comes from REST.
func TestFundingRateFaultsLoseNothing(t *testing.T) {
	fake := newFake(t)
	jan, feb := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	fake.InjectArchive(binancetest.FundingArchivePath(binancetest.USDM, "BTCUSDT", jan), 2, binancetest.ArchiveCorruptZip)
	fake.InjectArchive(binancetest.FundingArchivePath(binancetest.USDM, "BTCUSDT", feb), -1, binancetest.ArchiveMissing)
	dir := filepath.Join(t.TempDir(), "lake")
	args := []string{"collect", "--market", "usdm", "--symbols", "BTCUSDT", "--data", "fundingRate", "--start", "2023-12-01",
		"--output", dir, "--binance-api-url", fake.URL(), "--summary", "json"}
	r := run(t, nil, args...)
	if r.code != ExitFailed || !strings.Contains(r.out, "BTCUSDT-fundingRate-2024-01.zip") {
		t.Fatalf("exit %d, want 1 naming the damaged file: %s %s", r.code, r.out, r.err)
	}
	start := time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)
	got, _ := storedFunding(t, dir, "usdm", "BTCUSDT")
	sameFunding(t, got, fake.FundingRates(binancetest.USDM, "BTCUSDT", start, jan), feb)

	r = run(t, nil, args...)
	if r.code != ExitOK {
		t.Fatalf("second run: exit %d: %s %s", r.code, r.out, r.err)
	}
	got, _ = storedFunding(t, dir, "usdm", "BTCUSDT")
	sameFunding(t, got, fake.FundingRates(binancetest.USDM, "BTCUSDT", start, testNow), feb) // February from REST
}

// TestFundingRateBadInput: spot has no funding rates: one line, exit 2,
// nothing fetched.
func TestFundingRateBadInput(t *testing.T) {
	fake := newFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	before := total(fake.Stats().Requests)
	r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--data", "funding_rate", "--output", dir, "--binance-api-url", fake.URL())
	want := "dataset funding_rate is not available on the spot market: it is on usdm, coinm"
	if r.code != ExitUsage || !strings.Contains(r.err, want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
		t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.err, want)
	}
	if total(fake.Stats().Requests) != before {
		t.Error("bad input reached Binance")
	}
}

// TestDuckDBReadsFundingRates: DuckDB reads the year files with Hive keys,
// nulls where a source has no value.
func TestDuckDBReadsFundingRates(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	r := run(t, nil, "collect", "--market", "usdm", "--symbols", "BTCUSDT,ETHUSDT", "--data", "funding_rate", "--start", "2023-12-20",
		"--output", dir, "--binance-api-url", fake.URL())
	if r.code != ExitOK {
		t.Fatalf("collect: exit %d %s %s", r.code, r.out, r.err)
	}
	rows := duckdb(t, `SELECT market, symbol, epoch_ms(funding_time)::BIGINT AS ft, funding_rate, mark_price, funding_interval_hours AS h,
		epoch_ms(calc_time)::BIGINT AS ct FROM read_parquet('`+dir+`/silver/funding_rate/**/*.parquet', hive_partitioning = true)
		ORDER BY symbol, ft`)
	var want []binancetest.FundingRate
	var syms []string
	for _, sym := range []string{"BTCUSDT", "ETHUSDT"} {
		for _, fr := range fake.FundingRates(binancetest.USDM, sym, time.Date(2023, 12, 20, 0, 0, 0, 0, time.UTC), testNow) {
			want, syms = append(want, fr), append(syms, sym)
		}
	}
	if len(rows) != len(want) || len(rows) != 2*(3*(12+31+29+14)+2) {
		t.Fatalf("DuckDB read %d rows, want %d", len(rows), len(want))
	}
	march := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i, row := range rows {
		w := want[i]
		// DuckDB's BIGINTs arrive as strings, its doubles as numbers.
		got := fmt.Sprintf("%v|%v|%v|%v|%v|%v|%v", row["market"], row["symbol"], row["ft"], row["ct"], row["funding_rate"], row["mark_price"], row["h"])
		mark, h := any(nil), any("8")
		if w.Time >= march {
			mark, h = num(t, w.MarkPrice), nil
		}
		exp := fmt.Sprintf("%v|%v|%d|%d|%v|%v|%v", "usdm", syms[i], w.Time/1000*1000, w.Time, num(t, w.Rate), mark, h)
		if got != exp {
			t.Fatalf("row %d: DuckDB read %s, want %s", i, got, exp)
		}
	}
}

// TestFundingRateDryRun: the plan names the monthly zips and the REST
// tail, and the year files, and fetches nothing.
func TestFundingRateDryRun(t *testing.T) {
	fake := newFake(t)
	before := total(fake.Stats().Requests)
	r := run(t, nil, "collect", "--market", "usdm", "--symbols", "BTCUSDT", "--data", "funding_rate", "--start", "2023-12-15",
		"--output", t.TempDir(), "--binance-api-url", fake.URL(), "--dry-run")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	for _, want := range []string{"BTCUSDT-fundingRate-2023-12.zip", "BTCUSDT-fundingRate-2024-02.zip", "api",
		"silver/funding_rate/market=usdm/symbol=BTCUSDT/2023.parquet", "silver/funding_rate/market=usdm/symbol=BTCUSDT/2024.parquet"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("plan does not name %s:\n%s", want, r.out)
		}
	}
	if total(fake.Stats().Requests) != before {
		t.Error("--dry-run reached Binance")
	}
}
