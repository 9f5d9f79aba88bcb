package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// collectTradesLake fills dir from fake: BTCUSDT spot and usdm, 1m klines,
// trades and agg_trades of 2024-03-12 .. 2024-03-14.
func collectTradesLake(t *testing.T, dir string, fake *binancetest.Server, markets ...string) {
	t.Helper()
	for _, m := range markets {
		r := run(t, nil, "collect", "--market", m, "--symbols", "BTCUSDT", "--data", "klines,trades,agg_trades", "--timeframes", "1m",
			"--start", "2024-03-12", "--end", "2024-03-15", "--output", dir, "--binance-api-url", fake.URL())
		if r.code != ExitOK {
			t.Fatalf("collect %s: exit %d: %s %s", m, r.code, r.out, r.err)
		}
	}
}

type verifyTradesJSON struct {
	Problems int
	Series   []struct {
		Dataset, Market, Interval, Symbol string
		Files                             int
		Rows                              int64
		Problems                          []verifyProblem
	}
}

func verifyTradesReport(t *testing.T, dir string, args ...string) (int, verifyTradesJSON) {
	t.Helper()
	r := run(t, nil, append([]string{"verify", "--output", dir, "--format", "json"}, args...)...)
	var rep verifyTradesJSON
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("verify json: %v\n%s%s", err, r.out, r.err)
	}
	return r.code, rep
}

// problemsOf lists the problems of one series ("trades spot") by kind.
func problemsOf(rep verifyTradesJSON, dataset, market string) map[string][]verifyProblem {
	out := map[string][]verifyProblem{}
	for _, s := range rep.Series {
		if s.Dataset == dataset && s.Market == market {
			for _, p := range s.Problems {
				out[p.Kind] = append(out[p.Kind], p)
			}
		}
	}
	return out
}

func tradesKey(d *transform.Dataset, market, day string) storage.Key {
	return storage.Key{Dataset: d.Name, Market: market, Symbol: "BTCUSDT", Period: day}
}

// rewriteTrades replaces a stored trades or agg_trades day with rows edited
// by fn, bypassing merge, as a buggy writer or a hand edit would.
func rewriteTrades(t *testing.T, dir string, k storage.Key, trades func([]transform.Trade) []transform.Trade, aggs func([]transform.AggTrade) []transform.AggTrade) {
	t.Helper()
	ctx := context.Background()
	st := openTestLake(t, dir)
	rec, _, err := st.Read(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	var out arrow.RecordBatch
	if trades != nil {
		b, _ := transform.NewTradesBuilder(memory.DefaultAllocator, k.Market)
		defer b.Release()
		for _, tr := range trades(transform.Trades(rec)) {
			if !b.Append(tr) {
				t.Fatalf("rewrite: trade %+v rejected", tr)
			}
		}
		out = b.NewRecord()
	} else {
		b, _ := transform.NewAggTradesBuilder(memory.DefaultAllocator, k.Market)
		defer b.Release()
		for _, a := range aggs(transform.AggTrades(rec)) {
			if !b.Append(a) {
				t.Fatalf("rewrite: agg trade %+v rejected", a)
			}
		}
		out = b.NewRecord()
	}
	rec.Release()
	defer out.Release()
	if _, err := st.Write(ctx, k, out, nil, storage.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

func usTime(us int64) string { return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z") }

// TestVerifyTradesCleanLake: a lake of klines, trades and agg_trades from
// the fake (futures id gaps off) passes, every series listed, and the
// cross-checks ran: the fake's klines are exact aggregates of its trades.
func TestVerifyTradesCleanLake(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake")
	collectTradesLake(t, dir, tradesFake(t, binancetest.WithTradeIDGaps(0, 0)), "spot", "usdm")
	r := run(t, nil, "verify", "--output", dir)
	if r.code != ExitOK || !strings.Contains(r.out, "6 series checked") || !strings.Contains(r.out, ", 0 problems") {
		t.Fatalf("verify clean lake: exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{"trades spot BTCUSDT: OK, 3 files", "agg_trades usdm BTCUSDT: OK, 3 files", "spot 1m BTCUSDT: OK, 1 files"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, r.out)
		}
	}
}

// TestVerifyTradesNamesEachDefect: an id gap, a kline that disagrees with
// its trades, an agg_trades chain break and an aggregate its trades do not
// add up to are each named with their file, time and ids.
func TestVerifyTradesNamesEachDefect(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake")
	collectTradesLake(t, dir, tradesFake(t, binancetest.WithTradeIDGaps(0, 0)), "spot", "usdm")

	// An id gap: three spot trades of 2024-03-13 dropped.
	var dropped []transform.Trade
	var before transform.Trade
	rewriteTrades(t, dir, tradesKey(transform.TradesData, "spot", "2024-03-13"), func(ts []transform.Trade) []transform.Trade {
		before, dropped = ts[499], append(dropped, ts[500:503]...)
		return append(ts[:500:500], ts[503:]...)
	}, nil)
	// A kline whose close is not its last trade's price: 2024-03-14 10:00 spot.
	minute := time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC).UnixMilli()
	rewrite(t, dir, key("1m", "BTCUSDT", "2024-03"), func(r []transform.Kline) []transform.Kline {
		for i := range r {
			if r[i].OpenTime == minute {
				r[i].Close = r[i].Low
				r[i].Low -= 1
			}
		}
		return r
	})
	// A chain break: one usdm aggregate of 2024-03-12 claims a trade less.
	var broken transform.AggTrade
	rewriteTrades(t, dir, tradesKey(transform.AggTradesData, "usdm", "2024-03-12"), nil, func(as []transform.AggTrade) []transform.AggTrade {
		for i := 300; i < len(as); i++ {
			if as[i].LastTradeID > as[i].FirstTradeID {
				as[i].FirstTradeID++
				broken = as[i]
				break
			}
		}
		return as
	})

	code, rep := verifyTradesReport(t, dir)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1", code)
	}
	spot := problemsOf(rep, "trades", "spot")
	gap := spot["id_gap"]
	if len(gap) != 1 || gap[0].IDs[0] != dropped[0].ID || gap[0].IDs[1] != dropped[2].ID ||
		!strings.HasSuffix(gap[0].File, "trades/market=spot/symbol=BTCUSDT/2024-03-13.parquet") ||
		!strings.Contains(gap[0].Detail, fmt.Sprintf("ids %d..%d missing", dropped[0].ID, dropped[2].ID)) ||
		!strings.Contains(gap[0].Detail, "between "+usTime(before.Time)) {
		t.Errorf("id gap reported as %+v; dropped %d..%d after %s", gap, dropped[0].ID, dropped[2].ID, usTime(before.Time))
	}
	// The kline of the dropped trades' minute now disagrees too, and the
	// altered one names its minute and fields.
	mismatch := map[string]string{}
	for _, p := range spot["kline_mismatch"] {
		mismatch[p.Time] = p.Detail
	}
	if d := mismatch["2024-03-14T10:00:00.000Z"]; !strings.Contains(d, "close kline") || !strings.Contains(d, "low kline") || strings.Contains(d, "volume") {
		t.Errorf("altered kline: %q; all: %v", d, mismatch)
	}
	gapMinutes := map[string]bool{}
	for _, tr := range dropped {
		gapMinutes[time.UnixMicro(tr.Time).UTC().Truncate(time.Minute).Format("2006-01-02T15:04:05.000Z")] = true
	}
	for m := range gapMinutes {
		if d := mismatch[m]; !strings.Contains(d, "trades kline") || !strings.Contains(d, "volume kline") {
			t.Errorf("minute of the gap %s: %q; all: %v", m, d, mismatch)
		}
	}
	if len(mismatch) != 1+len(gapMinutes) {
		t.Errorf("kline mismatches %v, want 10:00 and %v", mismatch, gapMinutes)
	}
	// The spot aggregates of the dropped trades no longer add up.
	missing := 0
	for _, p := range problemsOf(rep, "agg_trades", "spot")["agg_mismatch"] {
		if !strings.Contains(p.Detail, "trades stored") {
			t.Errorf("spot agg mismatch %+v", p)
		}
		missing++
	}
	if missing == 0 || missing > 3 {
		t.Errorf("%d spot aggregates of the dropped trades reported", missing)
	}
	aggs := problemsOf(rep, "agg_trades", "usdm")
	if ch := aggs["agg_chain"]; len(ch) != 1 || ch[0].IDs[0] != broken.FirstTradeID-1 || !strings.HasSuffix(ch[0].File, "2024-03-12.parquet") ||
		!strings.Contains(ch[0].Detail, fmt.Sprintf("agg trade %d starts at trade %d", broken.ID, broken.FirstTradeID)) {
		t.Errorf("chain break reported as %+v, want agg trade %d", ch, broken.ID)
	}
	if m := aggs["agg_mismatch"]; len(m) != 1 || m[0].IDs[0] != broken.ID || !strings.Contains(m[0].Detail, "its trades sum to") {
		t.Errorf("agg mismatch reported as %+v", m)
	}
	if n := len(rep.Series); n != 6 {
		t.Errorf("%d series", n)
	}
	if want := 1 + len(mismatch) + missing + 2; rep.Problems != want {
		t.Errorf("%d problems, want %d: %+v", rep.Problems, want, rep.Series)
	}

	// --data narrows to one dataset; the cross-check still reads klines.
	r := run(t, nil, "verify", "--output", dir, "--data", "trades", "--market", "spot")
	if r.code != ExitFailed || !strings.Contains(r.out, "1 series checked") || !strings.Contains(r.out, "kline_mismatch") {
		t.Errorf("verify --data trades: %d\n%s", r.code, r.out)
	}
	// Klines alone: their own checks pass; the disagreement is the trades'.
	if r := run(t, nil, "verify", "--output", dir, "--data", "klines"); r.code != ExitOK {
		t.Errorf("verify --data klines: %d\n%s", r.code, r.out)
	}
}

// TestVerifyFuturesIDGaps: Binance's futures trade ids skip values while
// the data is complete. verify reports each skip as an id gap (and the
// agg_trades chain break at the same place) and exits 1; the klines
// cross-check, which counts trades, finds no minute that disagrees, which
// is how a reader tells the exchange's skipped ids from lost trades.
func TestVerifyFuturesIDGaps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake")
	collectTradesLake(t, dir, tradesFake(t, binancetest.WithTradeIDGaps(360, 3)), "usdm")
	code, rep := verifyTradesReport(t, dir)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1", code)
	}
	trades, aggs := problemsOf(rep, "trades", "usdm"), problemsOf(rep, "agg_trades", "usdm")
	// One gap every 6 hours: 00:00, 06:00, 12:00, 18:00 of three days, but
	// the first minute of the lake starts it rather than following a gap.
	if n := len(trades["id_gap"]); n != 11 {
		t.Errorf("%d id gaps, want 11: %+v", n, trades)
	}
	for _, p := range trades["id_gap"] {
		if p.IDs[1]-p.IDs[0] != 2 || !strings.Contains(p.Detail, "Binance's futures trade ids skip values") {
			t.Errorf("gap %+v", p)
		}
	}
	if n := len(aggs["agg_chain"]); n != 11 {
		t.Errorf("%d chain breaks, want 11: %+v", n, aggs)
	}
	if len(trades["kline_mismatch"]) != 0 || len(aggs["agg_mismatch"]) != 0 || len(aggs["id_gap"]) != 0 {
		t.Errorf("complete data disagrees: %+v %+v", trades, aggs)
	}
}
