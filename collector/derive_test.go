package collector_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// storeFakeKlines writes the fake's closed candles of [start, end) into the
// lake as collect would (one file per period), without the network.
func storeFakeKlines(t testing.TB, e *env, iv transform.Interval, start, end time.Time) {
	t.Helper()
	ctx := context.Background()
	s := storage.Series{Dataset: "klines", Market: "spot", Interval: iv.String(), Symbol: "BTCUSDT"}
	b := transform.NewBuilder(e.mem, iv)
	defer b.Release()
	period := ""
	flush := func() {
		if b.Len() == 0 {
			return
		}
		rec := b.NewRecord()
		defer rec.Release()
		if _, err := e.store.Write(ctx, s.Key(period), rec, nil, storage.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range e.fake.Klines(binancetest.Spot, "BTCUSDT", iv.String(), start, end) {
		if p := iv.Period(k.OpenTime); p != period {
			flush()
			period = p
		}
		if !b.AppendRaw(transform.RawKline{OpenTime: k.OpenTime, Open: k.Open, High: k.High, Low: k.Low, Close: k.Close,
			Volume: k.Volume, CloseTime: k.CloseTime, QuoteAssetVolume: k.QuoteVolume, TradeNum: k.Trades,
			TakerBuyBaseAssetVolume: k.TakerBuyBase, TakerBuyQuoteAssetVolume: k.TakerBuyQuote}) {
			t.Fatalf("candle %d rejected", k.OpenTime)
		}
	}
	flush()
}

func deriver(e *env) *collector.Deriver {
	return &collector.Deriver{Sink: e.store, Mem: e.mem, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Concurrency: 2}
}

func candleTarget(iv transform.Interval) collector.DeriveTarget {
	return collector.DeriveTarget{Dataset: transform.CandlesData, Market: collector.Spot, Symbol: "BTCUSDT", Interval: iv}
}

// goldCandles reads a gold candles series.
func goldCandles(t testing.TB, e *env, iv transform.Interval) ([]transform.Kline, []int64) {
	t.Helper()
	ctx := context.Background()
	s := candleTarget(iv).Series()
	keys, err := e.store.List(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	var rows []transform.Kline
	var inputs []int64
	for _, k := range keys {
		rec, _, err := e.store.Read(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		klines := array.NewRecordBatch(transform.Schema, rec.Columns()[:11], rec.NumRows())
		rows = append(rows, transform.Rows(klines)...)
		inputs = append(inputs, rec.Column(11).(*array.Int64).Int64Values()...)
		klines.Release()
		rec.Release()
	}
	return rows, inputs
}

func closeRel(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// TestDeriveCandlesEqualNative (issue 15): candles derived from a year of
// 1m silver for every Binance interval from 3m to 1M equal the fake's
// native candles: OHLC, times and trade counts exactly, sums within 1e-9
// relative, across month, week and year boundaries; every candle is
// whole (input_rows = the minutes it spans).
func TestDeriveCandlesEqualNative(t *testing.T) {
	// A symbol with trades: the fake's candles of every interval are then
	// aggregates of the same trades, as Binance's are.
	e := newEnv(t, binancetest.WithTrades(binancetest.Spot, 1, "BTCUSDT"))
	start, end := day("2023-01-01"), day("2024-01-01")
	if raceEnabled {
		start = day("2023-11-20") // across a month and week boundaries, in a tenth of the time
	}
	storeFakeKlines(t, e, "1m", start, end)
	var targets []collector.DeriveTarget
	for _, iv := range transform.Intervals {
		if iv != "1s" && iv != "1m" {
			targets = append(targets, candleTarget(iv))
		}
	}
	for _, r := range deriver(e).Run(context.Background(), targets) {
		if r.Err != nil || r.Status != collector.StatusOK {
			t.Fatalf("%s: %s %v", r.Target, r.Status, r.Err)
		}
	}
	for _, tg := range targets {
		iv := tg.Interval
		got, inputs := goldCandles(t, e, iv)
		// Native candles wholly inside the silver range.
		var want []binancetest.Kline
		for _, k := range e.fake.Klines(binancetest.Spot, "BTCUSDT", iv.String(), start, end) {
			if k.OpenTime >= start.UnixMilli() && iv.Next(k.OpenTime) <= end.UnixMilli() {
				want = append(want, k)
			}
		}
		var whole []transform.Kline
		for i, g := range got {
			if g.OpenTime >= start.UnixMilli() && iv.Next(g.OpenTime) <= end.UnixMilli() {
				whole = append(whole, g)
				if n := (iv.Next(g.OpenTime) - g.OpenTime) / 60_000; inputs[i] != n {
					t.Fatalf("%s candle %v: input_rows %d, want %d", iv, time.UnixMilli(g.OpenTime).UTC(), inputs[i], n)
				}
			}
		}
		if len(whole) != len(want) || len(want) == 0 {
			t.Fatalf("%s: %d whole candles derived, the fake has %d", iv, len(whole), len(want))
		}
		for i, w := range want {
			n, err := transform.RawKline{OpenTime: w.OpenTime, Open: w.Open, High: w.High, Low: w.Low, Close: w.Close, Volume: w.Volume, CloseTime: w.CloseTime,
				QuoteAssetVolume: w.QuoteVolume, TradeNum: w.Trades, TakerBuyBaseAssetVolume: w.TakerBuyBase, TakerBuyQuoteAssetVolume: w.TakerBuyQuote}.Parse()
			if err != nil {
				t.Fatal(err)
			}
			g := whole[i]
			if g.OpenTime != n.OpenTime || g.CloseTime != n.CloseTime || g.Open != n.Open || g.High != n.High || g.Low != n.Low || g.Close != n.Close || g.Trades != n.Trades ||
				!closeRel(g.Volume, n.Volume) || !closeRel(g.QuoteVolume, n.QuoteVolume) || !closeRel(g.TakerBuyBase, n.TakerBuyBase) || !closeRel(g.TakerBuyQuote, n.TakerBuyQuote) {
				t.Fatalf("%s candle %d (%v):\nderived %+v\nnative  %+v", iv, i, time.UnixMilli(w.OpenTime).UTC(), g, n)
			}
		}
	}
}

// TestDeriveIncremental (issue 15): a rerun with nothing new writes
// nothing; changing one silver month rebuilds exactly the gold files that
// contain it; a candle over a gap shows fewer input rows, and no candle is
// made for a period without input.
func TestDeriveIncremental(t *testing.T) {
	gapFrom, gapTo := time.Date(2024, 2, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 10, 3, 0, 0, 0, time.UTC)
	e := newEnv(t, binancetest.WithGap(binancetest.Spot, "BTCUSDT", gapFrom, gapTo))
	storeFakeKlines(t, e, "1m", day("2024-01-01"), day("2024-03-01"))
	targets := []collector.DeriveTarget{candleTarget("1h"), candleTarget("10m"), candleTarget("1w"),
		{Dataset: transform.DailySummaryData, Market: collector.Spot, Symbol: "BTCUSDT"}}
	files := func(rs []collector.DeriveResult) map[string]bool {
		out := map[string]bool{}
		for _, r := range rs {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.Target, r.Err)
			}
			for _, f := range r.Files {
				out[f] = true
			}
		}
		return out
	}
	first := files(deriver(e).Run(context.Background(), targets))
	if len(first) != 5 { // 1h, 1w (2024-01-01 is a Monday) and daily: 2024; 10m: 2024-01 and 2024-02
		t.Errorf("first run wrote %v", first)
	}
	if again := files(deriver(e).Run(context.Background(), targets)); len(again) != 0 {
		t.Errorf("a rerun with nothing new wrote %v", again)
	}
	// The 2 hours of the gap: no 10m candles there, the 1h candle at 03:00 whole,
	// the 1w candle of that week short of 180 minutes.
	got, inputs := goldCandles(t, e, "10m")
	for _, g := range got {
		if g.OpenTime >= gapFrom.UnixMilli() && g.OpenTime < gapTo.UnixMilli() {
			t.Fatalf("a 10m candle at %v, inside the gap", time.UnixMilli(g.OpenTime).UTC())
		}
	}
	weeks, wIn := goldCandles(t, e, "1w")
	for i, w := range weeks {
		if w.OpenTime == day("2024-02-05").UnixMilli() && wIn[i] != 7*1440-180 {
			t.Errorf("week of the gap: input_rows %d, want %d", wIn[i], 7*1440-180)
		}
	}
	_ = inputs

	// Change February's silver file: only the gold files built from it are rebuilt.
	storeFakeKlines(t, e, "1m", day("2024-02-20"), day("2024-03-01")) // rewritten (same rows, new version)
	feb := storage.Series{Dataset: "klines", Market: "spot", Interval: "1m", Symbol: "BTCUSDT"}.Key("2024-02")
	rebuilt := files(deriver(e).Run(context.Background(), targets))
	want := map[string]bool{}
	for _, tg := range targets {
		keys, _ := e.store.List(context.Background(), tg.Series())
		for _, k := range keys {
			fm, err := e.store.Meta(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			if collector.GoldDepends(fm.Meta, feb.Path()) {
				want[k.Path()] = true
			}
		}
	}
	if len(rebuilt) != len(want) || len(want) != 4 {
		t.Errorf("after changing February: rebuilt %v, want exactly the gold files depending on it %v", rebuilt, want)
	}
	for f := range want {
		if !rebuilt[f] {
			t.Errorf("%s depends on February and was not rebuilt", f)
		}
	}
}

// countingSink counts the reads of file data (not footers).
type countingSink struct {
	storage.Sink
	reads int
}

func (c *countingSink) Read(ctx context.Context, key storage.Key) (arrow.RecordBatch, storage.Stored, error) {
	c.reads++
	return c.Sink.Read(ctx, key)
}

func (c *countingSink) ReadStream(ctx context.Context, key storage.Key, schema *arrow.Schema, batchRows int) (array.RecordReader, string, error) {
	c.reads++
	return c.Sink.ReadStream(ctx, key, schema, batchRows)
}

// TestDeriveRerunReadsFootersOnly: with nothing new in silver, a rerun
// reads no file's data, only footers.
func TestDeriveRerunReadsFootersOnly(t *testing.T) {
	e := newEnv(t)
	storeFakeKlines(t, e, "1m", day("2024-01-20"), day("2024-02-10"))
	targets := []collector.DeriveTarget{candleTarget("1h"), candleTarget("10m"), {Dataset: transform.DailySummaryData, Market: collector.Spot, Symbol: "BTCUSDT"}}
	d := deriver(e)
	d.Run(context.Background(), targets)
	cs := &countingSink{Sink: e.store}
	d.Sink = cs
	for _, r := range d.Run(context.Background(), targets) {
		if r.Err != nil || r.Status != collector.StatusUpToDate || r.UpToDate == 0 {
			t.Errorf("rerun %s: %s, %d up to date, %v", r.Target, r.Status, r.UpToDate, r.Err)
		}
	}
	if cs.reads != 0 {
		t.Errorf("a rerun with nothing new read %d files' data", cs.reads)
	}
}
