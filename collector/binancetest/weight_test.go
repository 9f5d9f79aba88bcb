package binancetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestWeightHeaders(t *testing.T) {
	s, _ := newTest(t)
	steps := []struct {
		path   string
		status int
		used   string // X-MBX-USED-WEIGHT-1M after the request
	}{
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m", 200, "2"},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000", 200, "4"},
		{"/api/v3/exchangeInfo", 200, "24"},
		{"/api/v3/ping", 200, "25"},
		{"/api/v3/time", 200, "26"},
		{"/api/v3/klines?symbol=NOPE&interval=1m", 400, "28"},    // errors cost weight too
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m", 200, "5"}, // default limit 500
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=99", 200, "6"},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=100", 200, "8"},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=499", 200, "10"},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=500", 200, "15"},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1000", 200, "20"},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1001", 200, "30"},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1500", 200, "40"},
		{"/fapi/v1/exchangeInfo", 200, "41"},
		{"/fapi/v1/ping", 200, "42"},
		{"/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1d&limit=10", 200, "1"}, // own counter
		{"/dapi/v1/time", 200, "2"},
		{"/api/v3/ping", 200, "29"},
	}
	for _, st := range steps {
		r := get(t, s, st.path)
		if r.status != st.status || r.header.Get("X-MBX-USED-WEIGHT-1M") != st.used {
			t.Fatalf("%s: status %d weight %q, want %d %q", st.path, r.status, r.header.Get("X-MBX-USED-WEIGHT-1M"), st.status, st.used)
		}
		spot := r.header.Get("X-MBX-USED-WEIGHT")
		if isSpot := st.path[:4] == "/api"; isSpot != (spot == st.used) {
			t.Fatalf("%s: X-MBX-USED-WEIGHT = %q", st.path, spot)
		}
	}
	if r := get(t, s, "/nope"); r.header.Get("X-MBX-USED-WEIGHT-1M") != "" {
		t.Fatal("404 outside any market carries a weight header")
	}
	w := s.Stats().WeightPerWindow
	if !slices.Equal(w[Spot], []int{29}) || !slices.Equal(w[USDM], []int{42}) || !slices.Equal(w[COINM], []int{2}) {
		t.Fatalf("WeightPerWindow = %v", w)
	}
}

func TestWeightLimit429(t *testing.T) {
	s, wall := newTest(t, WithWeightLimit(Spot, 10))
	k := "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5"
	for i := range 5 {
		if r := get(t, s, k); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	wall.Set(time.Date(2024, 1, 1, 0, 0, 10, 500e6, time.UTC)) // 49.5 s left in the minute
	r := get(t, s, k)
	wantError(t, r, 429, -1003)
	if r.header.Get("Retry-After") != "50" || r.header.Get("X-MBX-USED-WEIGHT-1M") != "12" {
		t.Fatalf("429 headers: Retry-After %q weight %q", r.header.Get("Retry-After"), r.header.Get("X-MBX-USED-WEIGHT-1M"))
	}
	var e struct{ Msg string }
	json.Unmarshal(r.body, &e)
	if want := "Too many requests; current limit of IP is 10 requests per minute. Please use the websocket for live updates to avoid polling the API."; e.Msg != want {
		t.Fatalf("msg %q", e.Msg)
	}
	// Other markets have their own counters.
	if r := get(t, s, "/fapi/v1/ping"); r.status != 200 {
		t.Fatalf("usdm blocked by spot limit: %d", r.status)
	}
	wall.Set(time.Date(2024, 1, 1, 0, 0, 59, 999e6, time.UTC))
	if r := get(t, s, k); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("at the end of the window: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	wall.Set(time.Date(2024, 1, 1, 0, 2, 0, 0, time.UTC)) // skip a window
	if r := get(t, s, k); r.status != 200 || r.header.Get("X-MBX-USED-WEIGHT-1M") != "2" {
		t.Fatalf("new window: %d weight %q", r.status, r.header.Get("X-MBX-USED-WEIGHT-1M"))
	}
	st := s.Stats()
	if st.TooMany != 2 || st.Status[429] != 2 || !slices.Equal(st.WeightPerWindow[Spot], []int{14, 0, 2}) {
		t.Fatalf("stats: %+v", st)
	}
}

func TestWindowLengthAndAlignment(t *testing.T) {
	s, wall := newTest(t, WithWindow(10*time.Second), WithWeightLimit(USDM, 1))
	wall.Set(time.Date(2024, 1, 1, 0, 0, 7, 0, time.UTC))
	get(t, s, "/fapi/v1/ping")
	if r := get(t, s, "/fapi/v1/ping"); r.status != 429 || r.header.Get("Retry-After") != "3" {
		t.Fatalf("10s window: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	wall.Set(time.Date(2024, 1, 1, 0, 0, 10, 0, time.UTC))
	if r := get(t, s, "/fapi/v1/ping"); r.status != 200 {
		t.Fatalf("next 10s window: %d", r.status)
	}
	// Started at :10 (window 1 of the minute), so :07 was window -1: not tracked; :10 is index 0.
	if w := s.Stats().WeightPerWindow[USDM]; !slices.Equal(w, []int{1}) {
		t.Fatalf("WeightPerWindow = %v", w)
	}
}

func TestBanAfter429(t *testing.T) {
	s, wall := newTest(t, WithWeightLimit(Spot, 2), WithBanAfter429(2))
	k := "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1"
	want := []int{200, 429, 429, 429, 418, 418}
	for i, code := range want {
		r := get(t, s, k)
		if r.status != code {
			t.Fatalf("request %d: %d, want %d", i, r.status, code)
		}
		if code == 418 {
			wantError(t, r, 418, -1003)
			if r.header.Get("Retry-After") != "120" {
				t.Fatalf("418 Retry-After %q", r.header.Get("Retry-After"))
			}
		}
	}
	if r := get(t, s, "/fapi/v1/ping"); r.status != 200 {
		t.Fatalf("ban leaked to usdm: %d", r.status)
	}
	wall.Set(time.Date(2024, 1, 1, 0, 1, 30, 0, time.UTC)) // new window, still banned
	if r := get(t, s, k); r.status != 418 || r.header.Get("Retry-After") != "40" {
		t.Fatalf("during ban: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	wall.Set(time.Date(2024, 1, 1, 0, 2, 10, 0, time.UTC)) // ban over
	if r := get(t, s, k); r.status != 200 {
		t.Fatalf("after ban: %d", r.status)
	}
	if st := s.Stats(); st.Banned != 3 || st.TooMany != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestNoBanWhenRetryAfterHonoured(t *testing.T) {
	s, wall := newTest(t, WithWeightLimit(Spot, 2), WithBanAfter429(1))
	k := "/api/v3/ping"
	for minute := range 5 {
		wall.Set(time.Date(2024, 1, 1, 0, minute, 10, 0, time.UTC))
		get(t, s, k)
		get(t, s, k)
		if r := get(t, s, k); r.status != 429 {
			t.Fatalf("minute %d: %d", minute, r.status)
		}
	}
	if st := s.Stats(); st.Banned != 0 {
		t.Fatalf("banned a client that waited: %+v", st)
	}
}
