package binancetest

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestHoldParksMatchingRequestsUntilRelease(t *testing.T) {
	s, _ := newTest(t)
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	g := s.Hold(KlinesFrom(from))
	t.Cleanup(g.Release) // before s.Close, which waits for parked requests

	// Not matched: served at once.
	if r := get(t, s, "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime="+msq(from.Add(-time.Hour))+"&limit=1"); r.status != http.StatusOK {
		t.Fatalf("unmatched request: status %d", r.status)
	}
	select {
	case <-g.Arrived(1):
		t.Fatal("an unmatched request reached the gate")
	default:
	}

	done := make(chan response, 2)
	for range 2 {
		go func() {
			var r response
			res, err := client.Get(s.URL() + "/fapi/v1/klines?symbol=BTCUSDT&interval=1h&startTime=" + msq(from) + "&limit=1")
			if err == nil {
				r.status = res.StatusCode
				r.body, _ = io.ReadAll(res.Body)
				res.Body.Close()
			}
			done <- r
		}()
	}
	select {
	case <-g.Arrived(2):
	case <-time.After(5 * time.Second):
		t.Fatal("two matching requests did not reach the gate")
	}
	select {
	case <-done:
		t.Fatal("a parked request was answered before Release")
	default:
	}
	g.Release()
	g.Release() // again: nothing
	for range 2 {
		if r := <-done; r.status != http.StatusOK || len(parseKlines(t, r.body)) != 1 {
			t.Fatalf("released request: status %d, body %s", r.status, r.body)
		}
	}
	<-g.Arrived(1) // already reached: closed at once
}

func TestHoldEndsWhenTheClientLeaves(t *testing.T) {
	s, _ := newTest(t)
	g := s.Hold(nil)
	t.Cleanup(g.Release)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/api/v3/ping", nil)
	errc := make(chan error, 1)
	go func() {
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	<-g.Arrived(1)
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("a cancelled request got an answer")
	}
	// The parked handler notices and records a dropped request.
	for deadline := time.Now().Add(5 * time.Second); s.Stats().Status[0] != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("status counts %v: want one dropped request", s.Stats().Status)
		}
	}
}
