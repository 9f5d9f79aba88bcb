package cmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// storedKlines reads every candle of a spot series, in file order.
func storedKlines(t *testing.T, dir, sym, iv string) []transform.Kline {
	t.Helper()
	store := openTestLake(t, dir)
	keys, err := store.List(context.Background(), storage.Series{Dataset: "klines", Market: "spot", Interval: iv, Symbol: sym})
	if err != nil {
		t.Fatal(err)
	}
	var got []transform.Kline
	for _, k := range keys {
		rec, _, err := store.Read(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, transform.Rows(rec)...)
		rec.Release()
	}
	return got
}

// assertKlinesEqualFake compares a stored spot series with the fake's
// closed candles of [start, end), every value.
func assertKlinesEqualFake(t *testing.T, fake *binancetest.Server, dir, sym, iv string, start, end time.Time) {
	t.Helper()
	got := storedKlines(t, dir, sym, iv)
	want := fake.Klines(binancetest.Spot, sym, iv, start, end)
	if len(got) != len(want) {
		t.Fatalf("%s %s: %d candles stored, want %d", sym, iv, len(got), len(want))
	}
	for i, w := range want {
		k, err := transform.RawKline{OpenTime: w.OpenTime, Open: w.Open, High: w.High, Low: w.Low, Close: w.Close, Volume: w.Volume, CloseTime: w.CloseTime,
			QuoteAssetVolume: w.QuoteVolume, TradeNum: w.Trades, TakerBuyBaseAssetVolume: w.TakerBuyBase, TakerBuyQuoteAssetVolume: w.TakerBuyQuote}.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if got[i] != k {
			t.Fatalf("%s %s candle %d: stored %+v, want %+v", sym, iv, i, got[i], k)
		}
	}
}

// TestVerifyLabelsGapsAndCollectHeals (issue 16): after a backfill in which
// a daily file failed, verify names that day "missing (not fetched yet)"
// and Binance's own gap "gap at Binance (confirmed ...)" and exits 1; a
// plain collect refills the day (exit 0) and verify then passes, still
// showing the gap at Binance.
func TestVerifyLabelsGapsAndCollectHeals(t *testing.T) {
	gapFrom, gapTo := time.Date(2024, 3, 10, 10, 0, 0, 0, time.UTC), time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	fake := newFake(t, binancetest.WithGap(binancetest.Spot, "BTCUSDT", gapFrom, gapTo))
	mar12 := binancetest.ArchivePath(binancetest.Spot, "BTCUSDT", "1m", true, utcDay("2024-03-12"))
	fake.InjectArchive(mar12, 2, binancetest.ArchiveBadChecksum)
	dir := filepath.Join(t.TempDir(), "lake")
	collect := []string{"collect", "--symbols", "BTCUSDT", "--timeframes", "1m", "--output", dir, "--binance-api-url", fake.URL()}
	if r := run(t, nil, append(collect, "--start", "2024-03-08")...); r.code != ExitFailed {
		t.Fatalf("backfill with a damaged file: exit %d, want 1\n%s%s", r.code, r.out, r.err)
	}
	r := run(t, nil, "verify", "--output", dir)
	if r.code != ExitFailed {
		t.Fatalf("verify of a lake with a hole: exit %d, want 1\n%s", r.code, r.out)
	}
	for _, want := range []string{
		"binance_gap", "at 2024-03-10T10:00:00Z until 2024-03-10T12:00:00Z: gap at Binance (confirmed ", "120 1m candles",
		"gap ", "at 2024-03-12T00:00:00Z until 2024-03-13T00:00:00Z: missing (not fetched yet): 1440 1m candles",
		"1 PROBLEMS",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, r.out)
		}
	}

	dry := run(t, nil, append(collect, "--dry-run")...)
	if dry.code != ExitOK || !strings.Contains(dry.out, "heal [2024-03-12T00:00:00Z, 2024-03-13T00:00:00Z): not stored by an earlier run") {
		t.Errorf("--dry-run does not show the hole it would refill: exit %d\n%s", dry.code, dry.out)
	}
	if r := run(t, nil, collect...); r.code != ExitOK {
		t.Fatalf("healing run: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if n := fake.Stats().Requests[mar12]; n != 3 {
		t.Errorf("the damaged day was downloaded %d times, want 2 + 1 (healed)", n)
	}
	r = run(t, nil, "verify", "--output", dir)
	if r.code != ExitOK || !strings.Contains(r.out, "OK (1 gaps at Binance)") || !strings.Contains(r.out, "0 problems") {
		t.Fatalf("verify after healing: exit %d, want 0 with the gap at Binance noted\n%s", r.code, r.out)
	}
	assertKlinesEqualFake(t, fake, dir, "BTCUSDT", "1m", utcDay("2024-03-08"), testNow)
}

// TestHealFlagsBadInput: --heal with --start and a bad --heal-window are
// usage errors (exit 2) before anything is fetched; --heal-window 0 is off.
func TestHealFlagsBadInput(t *testing.T) {
	fake := newFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	base := []string{"collect", "--symbols", "BTCUSDT", "--output", dir, "--binance-api-url", fake.URL()}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--heal", "--start", "2024-03-01"}, "--heal repairs the whole stored range"},
		{[]string{"--heal-window", "soon"}, `unparsable --heal-window "soon"`},
		{[]string{"--heal-window", "-3d"}, `unparsable --heal-window "-3d"`},
	} {
		r := run(t, nil, append(base, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, r.code, r.err, tc.want)
		}
	}
	if n := len(fake.Stats().Requests); n != 0 {
		t.Errorf("bad input made %d requests", n)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("bad input created the lake: %v", err)
	}
	if r := run(t, nil, append(base, "--heal-window", "0", "--dry-run")...); r.code != ExitOK {
		t.Errorf("--heal-window 0: exit %d %s", r.code, r.err)
	}
}

// TestTradesHealMissingDay: a day file of trades lost between stored days
// (a failed write, a file removed) is refetched, alone, by the next plain
// run; the lake then equals the fake again.
func TestTradesHealMissingDay(t *testing.T) {
	fake := tradesFake(t)
	downloadTemp(t)
	dir := filepath.Join(t.TempDir(), "lake")
	if r, s := tradesRun(t, fake, dir, "trades", "2024-03-10", ""); r.code != ExitOK || len(s.Tasks) != 1 {
		t.Fatalf("backfill: exit %d %s", r.code, r.err)
	}
	lost := filepath.Join(dir, "silver/trades/market=spot/symbol=BTCUSDT/2024-03-12.parquet")
	if err := os.Remove(lost); err != nil {
		t.Fatal(err)
	}
	zip := binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", false, true, utcDay("2024-03-12"))
	other := binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", false, true, utcDay("2024-03-11"))
	before := fake.Stats().Requests
	r, s := tradesRun(t, fake, dir, "trades", "", "")
	if r.code != ExitOK {
		t.Fatalf("plain run: exit %d %s", r.code, r.err)
	}
	after := fake.Stats().Requests
	if after[zip]-before[zip] != 1 || after[other] != before[other] {
		t.Errorf("requests of the lost day %d, of a stored day %d; want 1 and 0", after[zip]-before[zip], after[other]-before[other])
	}
	if _, err := os.Stat(lost); err != nil {
		t.Errorf("the lost day was not refilled: %v (summary %+v)", err, s.Tasks)
	}
	assertLakeEqualsFake(t, fake, dir, utcDay("2024-03-10"), testNow, true, false)
}

// TestKlinesSIGKILLMidBackfillConverges (issue 16): SIGKILL in the middle
// of a multi-month backfill, then plain reruns: the lake converges to
// complete, nothing lost or doubled, and verify passes.
func TestKlinesSIGKILLMidBackfillConverges(t *testing.T) {
	bin := buildLakehouse(t)
	fake := newFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	held := binancetest.ArchivePath(binancetest.Spot, "BTCUSDT", "5m", false, utcDay("2024-01-01"))
	gate := fake.Hold(zipGET(held, false))
	t.Cleanup(gate.Release)
	args := []string{"collect", "--symbols", "BTCUSDT", "--timeframes", "5m", "--end", "2024-03-01",
		"--output", dir, "--binance-api-url", fake.URL(), "--binance-archive-url", fake.URL(), "--download-concurrency", "1"}
	p := startLakehouse(t, bin, nil, append(args, "--start", "2023-09-01")...)
	p.await(t, "the download of January's zip", gate.Arrived(1))
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	gate.Release()
	assertParquetComplete(t, dir, false)
	if n := len(parquetFiles(t, dir, false)); n == 0 || n >= 6 {
		t.Fatalf("%d files after SIGKILL, want some of the 6 months", n)
	}
	for i := 0; ; i++ {
		r := run(t, nil, args...)
		if r.code == ExitOK {
			break
		}
		if i == 2 {
			t.Fatalf("rerun %d: exit %d\n%s%s", i, r.code, r.out, r.err)
		}
	}
	assertKlinesEqualFake(t, fake, dir, "BTCUSDT", "5m", utcDay("2023-09-01"), utcDay("2024-03-01"))
	if r := run(t, nil, "verify", "--output", dir); r.code != ExitOK {
		t.Errorf("verify after convergence: exit %d\n%s", r.code, r.out)
	}
}
