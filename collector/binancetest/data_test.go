package binancetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// checkSanity asserts Binance's invariants on every candle.
func checkSanity(t *testing.T, ks []Kline) {
	t.Helper()
	for _, k := range ks {
		o, h, l, c := fixed(t, k.Open), fixed(t, k.High), fixed(t, k.Low), fixed(t, k.Close)
		v, qv, tb, tq := fixed(t, k.Volume), fixed(t, k.QuoteVolume), fixed(t, k.TakerBuyBase), fixed(t, k.TakerBuyQuote)
		if !(l > 0 && l <= min(o, c) && max(o, c) <= h) {
			t.Fatalf("OHLC broken at %d: %+v", k.OpenTime, k)
		}
		if !(v > 0 && qv > 0 && tb <= v && tq <= qv && tb >= 0 && tq >= 0 && k.Trades >= 1) {
			t.Fatalf("volumes broken at %d: %+v", k.OpenTime, k)
		}
		if k.CloseTime <= k.OpenTime {
			t.Fatalf("close before open: %+v", k)
		}
	}
}

func TestDataSanityAndContinuity(t *testing.T) {
	s, _ := newTest(t)
	for _, m := range markets {
		for _, sym := range specs[m].defaultSymbols {
			for _, iv := range []string{"1m", "15m", "4h", "1d", "1w", "1M"} {
				from := DefaultListing // long intervals: the whole history
				switch iv {
				case "1m", "15m":
					from = testNow.Add(-24 * time.Hour)
				case "4h":
					from = utc(2023, 6, 1)
				}
				ks := s.Klines(m, sym, iv, from, testNow)
				if len(ks) == 0 {
					t.Fatalf("%s %s %s: no candles", m, sym, iv)
				}
				checkSanity(t, ks)
				// The price path is shared, so each close is the next open.
				for i := 1; i < len(ks); i++ {
					if ks[i].Open != ks[i-1].Close {
						t.Fatalf("%s %s %s: open %s != previous close %s", m, sym, iv, ks[i].Open, ks[i-1].Close)
					}
				}
			}
		}
	}
	btc := s.Klines(Spot, "BTCUSDT", "1d", utc(2024, 1, 1), utc(2024, 1, 2))[0]
	if p := fixed(t, btc.Close) / 1e8; p < 20000 || p > 150000 {
		t.Fatalf("BTC price %d is not BTC-like", p)
	}
}

func TestDeterministicAcrossServers(t *testing.T) {
	a, _ := newTest(t)
	b, _ := newTest(t, WithWindow(time.Second), WithWeightLimit(Spot, 1<<30))
	q := "/api/v3/klines?symbol=XRPUSDT&interval=5m&startTime=" + msq(utc(2023, 5, 1)) + "&limit=1000"
	ra, rb := get(t, a, q), get(t, b, q)
	if string(ra.body) != string(rb.body) {
		t.Fatal("two servers disagree on the same candles")
	}
	// Spot and USD-M differ slightly, as real markets do.
	if s, f := a.Klines(Spot, "BTCUSDT", "1h", utc(2024, 1, 1), utc(2024, 1, 2)), a.Klines(USDM, "BTCUSDT", "1h", utc(2024, 1, 1), utc(2024, 1, 2)); slices.Equal(s, f) {
		t.Fatal("spot and usdm data identical")
	}
}

// TestKlinesMatchesHTTP pages through ranges like a downloader would and
// checks the closed candles equal Klines(), whatever the page size.
func TestKlinesMatchesHTTP(t *testing.T) {
	s, _ := newTest(t,
		WithGap(USDM, "ETHUSDT", time.Date(2024, 3, 14, 3, 0, 0, 0, time.UTC), time.Date(2024, 3, 14, 9, 17, 0, 0, time.UTC)))
	tests := []struct {
		m          Market
		path, sym  string
		iv         string
		start, end time.Time
		page       int
	}{
		{Spot, "/api/v3/klines", "BTCUSDT", "1m", time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC), testNow.Add(time.Hour), 1000},
		{Spot, "/api/v3/klines", "BTCUSDT", "1m", time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC), testNow.Add(time.Hour), 77},
		{Spot, "/api/v3/klines", "SOLUSDT", "1s", testNow.Add(-30 * time.Minute), testNow, 1000},
		{USDM, "/fapi/v1/klines", "ETHUSDT", "1m", time.Date(2024, 3, 13, 22, 0, 0, 0, time.UTC), time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), 1500},
		{COINM, "/dapi/v1/klines", "BTCUSD_PERP", "1h", utc(2023, 10, 1), utc(2024, 1, 1), 500},
		{COINM, "/dapi/v1/klines", "BTCUSD_PERP", "1d", utc(2019, 1, 1), utc(2024, 1, 1), 1500}, // 200-day windows
		{COINM, "/dapi/v1/klines", "ETHUSD_PERP", "1M", utc(2017, 1, 1), utc(2030, 1, 1), 10},
		{Spot, "/api/v3/klines", "BNBUSDT", "1w", utc(2017, 1, 1), utc(2030, 1, 1), 100},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.m, tc.sym, tc.iv, tc.page), func(t *testing.T) {
			var got []Kline
			end := min(tc.end.UnixMilli(), testNow.UnixMilli()) - 1
			for from := tc.start.UnixMilli(); ; {
				to := end
				if tc.m == COINM { // respect the 200-day rule like a real client
					to = min(end, from+200*dayMs)
				}
				q := fmt.Sprintf("%s?symbol=%s&interval=%s&startTime=%d&endTime=%d&limit=%d", tc.path, tc.sym, tc.iv, from, to, tc.page)
				r := get(t, s, q)
				if r.status != 200 {
					t.Fatalf("%s: %d %s", q, r.status, r.body)
				}
				page := parseKlines(t, r.body)
				for _, k := range page {
					if k.CloseTime < testNow.UnixMilli() { // drop the open candle
						got = append(got, k)
					}
				}
				switch {
				case len(page) == tc.page:
					from = page[len(page)-1].OpenTime + 1
				case to < end:
					from = to + 1
				default:
					want := s.Klines(tc.m, tc.sym, tc.iv, tc.start, tc.end)
					if len(want) == 0 || !slices.Equal(got, want) {
						t.Fatalf("paged %d candles != Klines() %d candles", len(got), len(want))
					}
					return
				}
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	s, _ := newTest(t)
	s.Inject("/fapi/v1/klines", 5, Status5xx(502))
	paths := []string{
		"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=50",
		"/fapi/v1/klines?symbol=ETHUSDT&interval=1h&limit=20",
		"/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1d",
		"/api/v3/exchangeInfo", "/fapi/v1/time",
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 10 {
				p := paths[(g+i)%len(paths)]
				res, err := client.Get(s.URL() + p)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				_ = s.Stats()
				if i == 5 {
					s.Inject("/api/v3/time", 1, Slow(time.Millisecond))
				}
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	total := 0
	for _, n := range st.Requests {
		total += n
	}
	if total != 160 || st.Status[502] != 5 || st.Status[200] != 155 {
		t.Fatalf("stats after concurrent load: %+v", st)
	}
}

func BenchmarkGenerate1000(b *testing.B) {
	g := newSeries(Spot, "BTCUSDT", intervals["1m"], DefaultListing.UnixMilli(), nil)
	q := &klinesQuery{limit: 1000, hasStart: true, start: utc(2024, 1, 1).UnixMilli()}
	now := testNow.UnixMilli()
	buf := make([]byte, 0, 256<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, open := range g.selectOpens(q, now) {
			k := g.candleAt(open, now)
			buf = appendCandle(buf, &k)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendFixed(b *testing.B) {
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = appendFixed(buf[:0], 6012345678901234)
	}
}

func TestAppendFixed(t *testing.T) {
	for v, want := range map[int64]string{0: "0.00000000", 1: "0.00000001", 123456789: "1.23456789", 6012345678901234: "60123456.78901234", -5: "-0.00000005"} {
		if got := string(appendFixed(nil, v)); got != want {
			t.Errorf("appendFixed(%d) = %q, want %q", v, got, want)
		}
	}
}
