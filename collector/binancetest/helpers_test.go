package binancetest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow pins the data clock mid-candle for every interval below a day.
var testNow = time.Date(2024, 3, 15, 12, 34, 56, 789e6, time.UTC)

// fakeWall drives the weight windows so boundaries and Retry-After are exact.
type fakeWall struct {
	mu sync.Mutex
	t  time.Time
}

func (w *fakeWall) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.t
}

func (w *fakeWall) Set(t time.Time) {
	w.mu.Lock()
	w.t = t
	w.mu.Unlock()
}

// newTest starts a fake with a pinned data clock and a controllable wall
// clock sitting 10 s into a minute.
func newTest(t *testing.T, opts ...Option) (*Server, *fakeWall) {
	t.Helper()
	wall := &fakeWall{t: time.Date(2024, 1, 1, 0, 0, 10, 0, time.UTC)}
	all := append([]Option{WithClock(func() time.Time { return testNow }), withWallClock(wall.Now)}, opts...)
	s := New(all...)
	t.Cleanup(s.Close)
	return s, wall
}

var client = &http.Client{Timeout: 5 * time.Second}

type response struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, s *Server, pathQuery string) response {
	t.Helper()
	res, err := client.Get(s.URL() + pathQuery)
	if err != nil {
		t.Fatalf("GET %s: %v", pathQuery, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", pathQuery, err)
	}
	return response{res.StatusCode, res.Header, body}
}

func msq(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// parseKlines decodes a klines body strictly: numbers where Binance sends
// numbers, strings where it sends strings, 12 fields.
func parseKlines(t *testing.T, body []byte) []Kline {
	t.Helper()
	var rows [][]json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatalf("klines body %.200s: %v", body, err)
	}
	out := make([]Kline, len(rows))
	for i, r := range rows {
		if len(r) != 12 {
			t.Fatalf("row %d has %d fields", i, len(r))
		}
		num := func(j int) int64 {
			n, err := strconv.ParseInt(string(r[j]), 10, 64)
			if err != nil {
				t.Fatalf("row %d field %d = %s, want integer", i, j, r[j])
			}
			return n
		}
		str := func(j int) string {
			var s string
			if err := json.Unmarshal(r[j], &s); err != nil {
				t.Fatalf("row %d field %d = %s, want string", i, j, r[j])
			}
			return s
		}
		if str(11) != "0" {
			t.Fatalf("row %d ignore field = %s", i, r[11])
		}
		out[i] = Kline{
			OpenTime: num(0), Open: str(1), High: str(2), Low: str(3), Close: str(4), Volume: str(5),
			CloseTime: num(6), QuoteVolume: str(7), Trades: num(8), TakerBuyBase: str(9), TakerBuyQuote: str(10),
		}
	}
	return out
}

// wantError asserts a Binance error answer.
func wantError(t *testing.T, r response, status, code int) {
	t.Helper()
	var e struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	if r.status != status || json.Unmarshal(r.body, &e) != nil || e.Code != code || e.Msg == "" {
		t.Fatalf("got %d %s, want %d with code %d", r.status, r.body, status, code)
	}
}

// fixed parses an 8-decimal string back to integer units for exact checks.
func fixed(t *testing.T, s string) int64 {
	t.Helper()
	ip, fp, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ip+fp, 10, 64)
	if !ok || len(fp) != 8 || err != nil {
		t.Fatalf("bad decimal %q", s)
	}
	return n
}

func opens(ks []Kline) []int64 {
	out := make([]int64, len(ks))
	for i, k := range ks {
		out[i] = k.OpenTime
	}
	return out
}
