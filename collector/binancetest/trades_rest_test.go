package binancetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

type restTrade struct {
	ID           int64  `json:"id"`
	Price        string `json:"price"`
	Qty          string `json:"qty"`
	QuoteQty     string `json:"quoteQty"`
	Time         int64  `json:"time"`
	IsBuyerMaker bool   `json:"isBuyerMaker"`
	IsBestMatch  bool   `json:"isBestMatch"`
}

type restAgg struct {
	A int64  `json:"a"`
	P string `json:"p"`
	Q string `json:"q"`
	F int64  `json:"f"`
	L int64  `json:"l"`
	T int64  `json:"T"`
	M bool   `json:"m"`
	B *bool  `json:"M"`
}

func getWith(t *testing.T, s *Server, pathQuery string, header http.Header) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+pathQuery, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

func decode[T any](t *testing.T, r response) []T {
	t.Helper()
	var out []T
	if r.status != 200 || json.Unmarshal(r.body, &out) != nil {
		t.Fatalf("status %d body %.300s", r.status, r.body)
	}
	return out
}

var micro = http.Header{"X-Mbx-Time-Unit": {"MICROSECOND"}}

func TestHistoricalTradesPaging(t *testing.T) {
	now := time.Date(2025, 3, 2, 6, 0, 0, 123456e3, time.UTC)
	s := tradeServer(t, now, 50)
	want := s.Trades(Spot, "BTCUSDT", now.Add(-time.Hour), now.Add(time.Hour))
	from := want[0].ID
	var got []restTrade
	for {
		page := decode[restTrade](t, getWith(t, s, fmt.Sprintf("/api/v3/historicalTrades?symbol=BTCUSDT&limit=1000&fromId=%d", from), micro))
		got = append(got, page...)
		if len(page) < 1000 {
			break
		}
		from = page[len(page)-1].ID + 1
	}
	if len(got) != len(want) {
		t.Fatalf("paged %d trades, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g != (restTrade{w.ID, w.Price, w.Qty, w.QuoteQty, w.Time, w.IsBuyerMaker, true}) {
			t.Fatalf("trade %d: %+v, want %+v", i, g, w)
		}
	}
	if got[len(got)-1].Time > now.UnixMicro() {
		t.Fatal("a trade from the future")
	}
	// Without fromId: the most recent 500, times in ms without the header.
	latest := decode[restTrade](t, get(t, s, "/api/v3/historicalTrades?symbol=BTCUSDT"))
	if len(latest) != 500 || latest[499].ID != want[len(want)-1].ID || latest[499].Time != want[len(want)-1].Time/1000 {
		t.Fatalf("latest: %d trades ending %+v", len(latest), latest[len(latest)-1])
	}
	wantError(t, get(t, s, "/api/v3/historicalTrades?symbol=BTCUSDT&limit=1001"), 400, -1130)
	wantError(t, get(t, s, "/api/v3/historicalTrades?symbol=NOPE"), 400, -1121)
	wantError(t, get(t, s, "/api/v3/historicalTrades"), 400, -1102)
	if r := get(t, s, "/api/v3/historicalTrades?symbol=ETHUSDT"); string(r.body) != "[]" {
		t.Fatalf("symbol without trades: %s", r.body)
	}
	if r := get(t, s, "/fapi/v1/historicalTrades?symbol=BTCUSDT"); r.status != 404 {
		t.Fatalf("futures historicalTrades (needs a key) = %d", r.status)
	}
}

func TestAggTradesPagingAndWindows(t *testing.T) {
	now := time.Date(2025, 3, 2, 6, 0, 0, 0, time.UTC)
	s := tradeServer(t, now, 50, WithFuturesAggTradesRetention(3*time.Hour))
	for _, m := range []Market{Spot, USDM, COINM} {
		sym, prefix := tradeSymbols[m], specs[m].prefix
		want := s.AggTrades(m, sym, now.Add(-90*time.Minute), now.Add(time.Minute))
		// By fromId, without gaps or overlap.
		var got []restAgg
		for from := want[0].ID; ; {
			page := decode[restAgg](t, get(t, s, fmt.Sprintf("%s/aggTrades?symbol=%s&fromId=%d&limit=1000", prefix, sym, from)))
			got = append(got, page...)
			if len(page) < 1000 {
				break
			}
			from = page[len(page)-1].A + 1
		}
		if len(got) != len(want) {
			t.Fatalf("%s: paged %d aggs, want %d", m, len(got), len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.A != w.ID || g.P != w.Price || g.Q != w.Qty || g.F != w.FirstTradeID || g.L != w.LastTradeID ||
				g.T != w.Time/1000 || g.M != w.IsBuyerMaker || (g.B != nil) != (m == Spot) {
				t.Fatalf("%s: agg %d = %+v, want %+v", m, i, g, w)
			}
		}
		// By time window: [start, end] inclusive, less than an hour.
		start, end := now.Add(-80*time.Minute), now.Add(-20*time.Minute-time.Millisecond)
		win := decode[restAgg](t, get(t, s, fmt.Sprintf("%s/aggTrades?symbol=%s&startTime=%s&endTime=%s&limit=1000", prefix, sym, msq(start), msq(end))))
		if len(win) == 0 || win[0].T < start.UnixMilli() || win[len(win)-1].T > end.UnixMilli() {
			t.Fatalf("%s: window gave %d aggs", m, len(win))
		}
		wantError(t, get(t, s, fmt.Sprintf("%s/aggTrades?symbol=%s&startTime=%s&endTime=%s", prefix, sym, msq(start), msq(start.Add(time.Hour)))), 400, -1127)
		// Most recent, by default.
		latest := decode[restAgg](t, get(t, s, fmt.Sprintf("%s/aggTrades?symbol=%s", prefix, sym)))
		if len(latest) != 500 || latest[499].A != want[len(want)-1].ID {
			t.Fatalf("%s: latest %d ending %+v", m, len(latest), latest[len(latest)-1])
		}
	}
	// Spot µs: header for the answer, µs accepted in parameters.
	start := now.Add(-10 * time.Minute)
	us := decode[restAgg](t, getWith(t, s, fmt.Sprintf("/api/v3/aggTrades?symbol=BTCUSDT&startTime=%d&limit=5", start.UnixMicro()+1), micro))
	if len(us) != 5 || us[0].T <= start.UnixMicro() || us[0].T%1000 == 0 && us[1].T%1000 == 0 && us[2].T%1000 == 0 {
		t.Fatalf("µs answer: %+v", us)
	}
	// Futures: older than the retention is not served.
	old := decode[restAgg](t, get(t, s, fmt.Sprintf("/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=%s&endTime=%s", msq(now.Add(-5*time.Hour)), msq(now.Add(-4*time.Hour-time.Second)))))
	if len(old) != 0 {
		t.Fatalf("%d aggs beyond the retention", len(old))
	}
}

func TestTradesWeights(t *testing.T) {
	now := time.Date(2025, 3, 2, 6, 0, 0, 0, time.UTC)
	s := tradeServer(t, now, 5, withWallClock(func() time.Time { return now })) // one weight window
	for _, tc := range []struct {
		path   string
		header string
		want   string
	}{
		{"/api/v3/historicalTrades?symbol=BTCUSDT&limit=5", "X-Mbx-Used-Weight-1m", "25"},
		{"/api/v3/aggTrades?symbol=BTCUSDT&limit=5", "X-Mbx-Used-Weight-1m", "29"},
		{"/fapi/v1/aggTrades?symbol=BTCUSDT&limit=5", "X-Mbx-Used-Weight-1m", "20"},
		{"/dapi/v1/aggTrades?symbol=BTCUSD_PERP&limit=5", "X-Mbx-Used-Weight-1m", "20"},
		{"/dapi/v1/aggTrades?symbol=BTCUSD_PERP&limit=5", "X-Mbx-Used-Weight-1m", "40"},
	} {
		r := get(t, s, tc.path)
		if r.status != 200 || r.header.Get(tc.header) != tc.want {
			t.Fatalf("%s: %d weight %s, want %s", tc.path, r.status, r.header.Get(tc.header), tc.want)
		}
	}
}
