package binancetest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Gate parks the requests it matches until Release, and tells a test when
// the Nth of them has arrived. A test can then act (send a signal, cancel,
// assert) at a known point of the client's progress instead of sleeping
// and hoping the client got there.
type Gate struct {
	match   func(*http.Request) bool
	release chan struct{}
	once    sync.Once

	mu      sync.Mutex
	arrived int
	waiters map[int]chan struct{}
}

// Hold parks every request that match accepts (nil: every request) at a new
// gate, before scripted faults and weight accounting. A parked request is
// served normally once the gate is released; if its client goes away first
// it ends without an answer. Release the gate before Close, which waits for
// outstanding requests.
func (s *Server) Hold(match func(*http.Request) bool) *Gate {
	g := &Gate{match: match, release: make(chan struct{}), waiters: map[int]chan struct{}{}}
	s.mu.Lock()
	s.gates = append(s.gates, g)
	s.mu.Unlock()
	return g
}

// KlinesFrom matches kline requests (any market) whose startTime is at or
// after from: with Hold, the client is parked once it has everything before
// from, e.g. asking for the second file's candles.
func KlinesFrom(from time.Time) func(*http.Request) bool {
	return func(r *http.Request) bool {
		if rt, ok := routes[r.URL.Path]; !ok || rt.ep != epKlines {
			return false
		}
		ms, err := strconv.ParseInt(r.URL.Query().Get("startTime"), 10, 64)
		return err == nil && ms >= from.UnixMilli()
	}
}

// Arrived returns a channel closed once n matching requests have reached
// the gate (released or not).
func (g *Gate) Arrived(n int) <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	ch, ok := g.waiters[n]
	if !ok {
		ch = make(chan struct{})
		g.waiters[n] = ch
		if g.arrived >= n {
			close(ch)
		}
	}
	return ch
}

// Release lets the parked and all later matching requests through. Calling
// it again does nothing.
func (g *Gate) Release() { g.once.Do(func() { close(g.release) }) }

// arrive counts r at the gate and waits for the release; false if r's
// client went away first.
func (g *Gate) arrive(r *http.Request) bool {
	g.mu.Lock()
	g.arrived++
	if ch, ok := g.waiters[g.arrived]; ok {
		close(ch)
	}
	g.mu.Unlock()
	select {
	case <-g.release:
		return true
	case <-r.Context().Done():
		return false
	}
}

// passGates parks r at every gate that matches it; false if r's client
// went away while parked.
func (s *Server) passGates(r *http.Request) bool {
	s.mu.Lock()
	gates := s.gates
	s.mu.Unlock()
	for _, g := range gates {
		if (g.match == nil || g.match(r)) && !g.arrive(r) {
			return false
		}
	}
	return true
}
