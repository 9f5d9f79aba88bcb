package binancetest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestStatusFaultsInOrder(t *testing.T) {
	s, _ := newTest(t)
	k := "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2"
	s.Inject("/api/v3/klines", 1, Status429(1500*time.Millisecond))
	s.Inject("/api/v3/klines", 1, Status418(3*time.Second))
	s.Inject("/fapi/v1/klines", 1, Status5xx(502)) // other path: must not fire here
	s.Inject("/api/v3/klines", 2, Status5xx(500))
	s.Inject("", 1, Status5xx(503))
	steps := []struct {
		path       string
		status     int
		code       int
		retryAfter string
		weight     string // "" = header must be absent
	}{
		{k, 429, -1003, "2", "0"}, // faults cost no weight, but 429/418 show the counter
		{k, 418, -1003, "3", "0"},
		{k, 500, -1001, "", ""},
		{k, 500, -1001, "", ""},
		{"/api/v3/ping", 503, -1008, "", ""}, // "" matches any path
		{k, 200, 0, "", "2"},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m", 502, -1001, "", ""},
		{"/fapi/v1/klines?symbol=BTCUSDT&interval=1m", 200, 0, "", "5"},
	}
	for i, st := range steps {
		r := get(t, s, st.path)
		if st.code != 0 {
			wantError(t, r, st.status, st.code)
		} else if r.status != st.status {
			t.Fatalf("step %d: %d %s", i, r.status, r.body)
		}
		if got := r.header.Get("Retry-After"); got != st.retryAfter {
			t.Fatalf("step %d: Retry-After %q, want %q", i, got, st.retryAfter)
		}
		if got := r.header.Get("X-MBX-USED-WEIGHT-1M"); got != st.weight {
			t.Fatalf("step %d: weight %q, want %q", i, got, st.weight)
		}
	}
	st := s.Stats()
	if st.TooMany != 1 || st.Banned != 1 || st.Status[500] != 2 || st.Status[503] != 1 || st.Requests["/api/v3/klines"] != 5 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSlowFault(t *testing.T) {
	s, _ := newTest(t)
	s.Inject("/api/v3/time", 1, Slow(100*time.Millisecond))
	begin := time.Now()
	r := get(t, s, "/api/v3/time")
	if d := time.Since(begin); d < 100*time.Millisecond || r.status != 200 || r.header.Get("X-MBX-USED-WEIGHT-1M") != "1" {
		t.Fatalf("slow: %v %d %s", d, r.status, r.body)
	}
	if string(r.body) != `{"serverTime":`+strconv.FormatInt(testNow.UnixMilli(), 10)+`}` {
		t.Fatalf("body %s", r.body)
	}
	// A client that gives up is not kept waiting for the full delay.
	s.Inject("/api/v3/time", 1, Slow(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/api/v3/time", nil)
	if _, err := client.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
	// Close waits for handlers: this only returns quickly if the slow one
	// noticed the cancelled request.
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("slow handler ignored the request context")
	}
	if st := s.Stats(); st.Status[0] != 1 {
		t.Fatalf("abandoned slow request not counted under 0: %+v", st.Status)
	}
}

// noReuse makes a dropped connection visible: with keep-alive, Go's
// transport silently retries an idempotent GET on a fresh connection.
var noReuse = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func TestDropFault(t *testing.T) {
	s, _ := newTest(t)
	s.Inject("", 1, Drop())
	if res, err := noReuse.Get(s.URL() + "/api/v3/ping"); err == nil {
		res.Body.Close()
		t.Fatalf("dropped request got a response: %d", res.StatusCode)
	}
	if r := get(t, s, "/api/v3/ping"); r.status != 200 {
		t.Fatalf("after drop: %d", r.status)
	}
	st := s.Stats()
	if st.Status[0] != 1 || st.Status[200] != 1 || st.Requests["/api/v3/ping"] != 2 {
		t.Fatalf("stats %+v", st)
	}
	if w := st.WeightPerWindow[Spot]; len(w) != 1 || w[0] != 1 {
		t.Fatalf("drop consumed weight: %v", w)
	}
}

func TestTruncateFault(t *testing.T) {
	s, _ := newTest(t)
	k := "/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=10"
	full := get(t, s, k)
	s.Inject("/fapi/v1/klines", 1, Truncate())
	res, err := noReuse.Get(s.URL() + k)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncate: status %d err %v", res.StatusCode, err)
	}
	if res.ContentLength != int64(len(full.body)) || len(body) != len(full.body)/2 || string(body) != string(full.body[:len(body)]) {
		t.Fatalf("Content-Length %d, got %d bytes of %d", res.ContentLength, len(body), len(full.body))
	}
	if r := get(t, s, k); r.status != 200 || r.header.Get("X-MBX-USED-WEIGHT-1M") != "2" { // limit 10 weighs 1
		t.Fatalf("after truncate (weight must not include it): %d %q", r.status, r.header.Get("X-MBX-USED-WEIGHT-1M"))
	}
}

func TestInjectIgnoresNonPositiveCount(t *testing.T) {
	s, _ := newTest(t)
	s.Inject("", 0, Status5xx(500))
	s.Inject("", -1, Status5xx(500))
	if r := get(t, s, "/api/v3/ping"); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
}

func TestStatusFaultWithoutStatus(t *testing.T) {
	s, _ := newTest(t)
	s.Inject("", 1, Fault{Kind: FaultStatus})
	wantError(t, get(t, s, "/api/v3/ping"), 500, -1001)
}
