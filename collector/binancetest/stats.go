package binancetest

import (
	"maps"
	"net/http"
	"slices"
)

// Stats summarises what the fake has answered, for assertions and benchmarks.
type Stats struct {
	// Requests counts requests by URL path, including 404s and faulted ones.
	Requests map[string]int
	// Status counts responses by status code; connections closed without a
	// response (Drop, or a client that left during Slow) count under 0.
	// Truncated responses count as 200.
	Status map[int]int
	// TooMany counts 429 answers, scripted or from the weight limit.
	TooMany int
	// Banned counts 418 answers, scripted or from WithBanAfter429.
	Banned int
	// WeightPerWindow is the weight charged per market in each window,
	// indexed by window number counted from the window the server started
	// in (windows are wall-clock aligned multiples of the window length).
	WeightPerWindow map[Market][]int
}

// record counts one finished response.
func (s *Server) record(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Status[status]++
	switch status {
	case http.StatusTooManyRequests:
		s.stats.TooMany++
	case http.StatusTeapot:
		s.stats.Banned++
	}
}

// Stats returns a deep copy, safe to keep while the server keeps running.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{
		Requests:        maps.Clone(s.stats.Requests),
		Status:          maps.Clone(s.stats.Status),
		TooMany:         s.stats.TooMany,
		Banned:          s.stats.Banned,
		WeightPerWindow: make(map[Market][]int, len(s.stats.WeightPerWindow)),
	}
	for m, w := range s.stats.WeightPerWindow {
		out.WeightPerWindow[m] = slices.Clone(w)
	}
	return out
}
