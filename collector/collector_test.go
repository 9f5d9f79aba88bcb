package collector_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// now is the fixed "current time" of these tests: mid-candle, so the fake
// serves one still-open candle at the end of every range.
var now = time.Date(2024, 3, 15, 12, 34, 56, 0, time.UTC)

var fastRetry = collector.RetryPolicy{Attempts: 8, BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, RequestTimeout: 2 * time.Second}

type env struct {
	fake  *binancetest.Server
	store *storage.Store
	dir   string
	mem   *memory.CheckedAllocator
}

func newEnv(t testing.TB, opts ...binancetest.Option) *env {
	t.Helper()
	fake := binancetest.New(append([]binancetest.Option{binancetest.WithClock(func() time.Time { return now })}, opts...)...)
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	b, err := storage.NewLocalBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return &env{fake: fake, store: storage.NewStore(b, mem, storage.WriteOptions{Producer: "test"}), dir: dir, mem: mem}
}

// run plans and runs req against the fake, like `lakehouse collect`.
func (e *env) run(t *testing.T, ctx context.Context, req collector.Request, client collector.ClientOptions) []collector.TaskResult {
	t.Helper()
	if client.Retry.Attempts == 0 {
		client.Retry = fastRetry
	}
	tasks := collector.Plan(req, now)
	hc := collector.NewHTTPClient(client)
	src := collector.NewRESTSource(ctx, req.Market, e.fake.URL(), hc, req.Symbols[0])
	r := &collector.Runner{
		Sink: e.store, Mem: e.mem, Now: func() time.Time { return now }, Concurrency: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Source: func(collector.Market) collector.Source { return src },
	}
	return r.Run(ctx, tasks)
}

// stored returns every candle stored for a series, in file order.
func (e *env) stored(t *testing.T, m collector.Market, sym, iv string) []transform.Kline {
	t.Helper()
	ctx := context.Background()
	s := storage.Series{Dataset: "klines", Market: string(m), Interval: iv, Symbol: sym}
	keys, err := e.store.List(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	var out []transform.Kline
	for _, k := range keys {
		rec, _, err := e.store.Read(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range transform.Rows(rec) {
			if got := transform.Interval(iv).Period(row.OpenTime); got != k.Period {
				t.Errorf("candle %d in file %s belongs to %s", row.OpenTime, k.Period, got)
			}
			out = append(out, row)
		}
		rec.Release()
	}
	return out
}

// expected returns the fake's closed candles of [start, end) as parsed klines.
func (e *env) expected(t *testing.T, m collector.Market, sym, iv string, start, end time.Time) []transform.Kline {
	t.Helper()
	var out []transform.Kline
	for _, k := range e.fake.Klines(binancetest.Market(m), sym, iv, start, end) {
		p, err := transform.RawKline{OpenTime: k.OpenTime, Open: k.Open, High: k.High, Low: k.Low, Close: k.Close,
			Volume: k.Volume, CloseTime: k.CloseTime, QuoteAssetVolume: k.QuoteVolume, TradeNum: k.Trades,
			TakerBuyBaseAssetVolume: k.TakerBuyBase, TakerBuyQuoteAssetVolume: k.TakerBuyQuote}.Parse()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func sameKlines(t *testing.T, got, want []transform.Kline) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("stored %d candles, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("candle %d: stored %+v, want %+v", i, got[i], want[i])
		}
	}
}

func okResults(t testing.TB, res []collector.TaskResult) {
	t.Helper()
	for _, r := range res {
		if r.Err != nil || r.Status == collector.StatusFailed {
			t.Fatalf("task %s: %s %v", r.Task, r.Status, r.Err)
		}
		if r.Rejected.Total() > 0 {
			t.Fatalf("task %s rejected %d: %v", r.Task, r.Rejected.Total(), r.Rejected.Examples())
		}
	}
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}
