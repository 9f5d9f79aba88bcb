package collector_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
)

// TestExchangeClockBehind (issue 16): with the local clock 150 s ahead of
// the exchange's, no candle still open on the exchange's clock is stored
// (the local clock alone would store two: one open with partial values,
// one not yet begun); the skew is estimated and warned about once; the
// next run, once the exchange's clock has moved on, stores that candle
// with its final values.
func TestExchangeClockBehind(t *testing.T) {
	var fakeNow atomic.Int64
	fakeNow.Store(now.Add(-150 * time.Second).UnixMilli())
	e := newEnv(t, binancetest.WithClock(func() time.Time { return time.UnixMilli(fakeNow.Load()) }))
	start := now.Add(-2 * time.Hour).Truncate(time.Minute)
	run := func(req collector.Request) (collector.TaskResult, *collector.ExchangeClock, int) {
		clock := collector.NewExchangeClock(func() time.Time { return now })
		warnings := 0
		clock.OnSkew(nil, func(time.Duration) { warnings++ })
		ctx := context.Background()
		hc := collector.NewHTTPClient(collector.ClientOptions{Retry: fastRetry, Clock: clock})
		src := collector.NewRESTSource(ctx, req.Market, e.fake.URL(), hc, req.Symbols[0])
		r := &collector.Runner{
			Sink: e.store, Mem: e.mem, Now: clock.Now, Concurrency: 1,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Source: func(collector.Market) collector.Source { return src },
		}
		res := r.Run(ctx, collector.Plan(req, now))
		okResults(t, res)
		return res[0], clock, warnings
	}

	res, clock, warnings := run(spotReq(start, time.Time{}, []string{"BTCUSDT"}, "1m"))
	stored := e.stored(t, collector.Spot, "BTCUSDT", "1m")
	last := stored[len(stored)-1]
	if last.CloseTime >= fakeNow.Load() {
		t.Fatalf("stored the candle of %v, still open on the exchange's clock (%v)", time.UnixMilli(last.OpenTime).UTC(), time.UnixMilli(fakeNow.Load()).UTC())
	}
	if want := time.UnixMilli(fakeNow.Load()).Truncate(time.Minute).Add(-time.Minute); last.OpenTime != want.UnixMilli() {
		t.Errorf("newest candle %v, want %v (the last closed on the exchange)", time.UnixMilli(last.OpenTime).UTC(), want.UTC())
	}
	if res.OpenSkipped == 0 {
		t.Errorf("no open candle counted as skipped")
	}
	if skew, ok := clock.Skew(); !ok || skew < 148*time.Second || skew > 152*time.Second {
		t.Errorf("skew estimate %v (known %v), want about 150s", skew, ok)
	}
	if warnings != 1 {
		t.Errorf("%d skew warnings, want 1", warnings)
	}
	sameKlines(t, stored, e.expected(t, collector.Spot, "BTCUSDT", "1m", start, time.UnixMilli(fakeNow.Load())))

	// The exchange catches up (and passes the local clock): a plain rerun
	// stores the candle that was open, closed, with its final values.
	fakeNow.Store(now.Add(time.Minute).UnixMilli())
	req := spotReq(time.Time{}, time.Time{}, []string{"BTCUSDT"}, "1m")
	_, _, warnings = run(req)
	if warnings != 1 {
		t.Errorf("exchange 60s ahead: %d warnings, want 1", warnings)
	}
	// Closed on both clocks: the local one is now the earlier.
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "1m"), e.expected(t, collector.Spot, "BTCUSDT", "1m", start, now.Truncate(time.Minute)))
}

// TestExchangeClockIgnoresCachedResponses: a response from a cache (Age)
// keeps the Date of when it was cached; it must not move the clock.
func TestExchangeClockIgnoresCachedResponses(t *testing.T) {
	old := time.Now().Add(-3 * time.Hour)
	age := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Date", old.UTC().Format(http.TimeFormat))
		if age != "" {
			w.Header().Set("Age", age)
		}
	}))
	defer srv.Close()
	clock := collector.NewExchangeClock(time.Now)
	hc := collector.NewHTTPClient(collector.ClientOptions{Retry: fastRetry, Clock: clock})
	get := func() {
		resp, err := hc.Get(srv.URL + "/api/v3/time")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	age = "10800"
	get()
	if _, ok := clock.Skew(); ok || time.Since(clock.Now()) > time.Second {
		t.Fatalf("a cached response moved the clock to %v", clock.Now())
	}
	age = ""
	get()
	if skew, ok := clock.Skew(); !ok || skew < 3*time.Hour-2*time.Second || skew > 3*time.Hour+time.Second {
		t.Fatalf("skew %v (known %v), want about 3h", skew, ok)
	}
	if d := time.Since(clock.Now()); d < 3*time.Hour-2*time.Second {
		t.Errorf("Now is %v behind the local clock, want about 3h", d)
	}
}
