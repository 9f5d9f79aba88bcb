package binancetest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// FaultKind selects what a scripted fault does to a request.
type FaultKind int

const (
	// FaultStatus answers Status with a Binance JSON error body; 429 and 418
	// also carry Retry-After (whole seconds, rounded up) and the weight header.
	FaultStatus FaultKind = iota
	// FaultSlow sleeps Delay (giving up if the client goes away), then serves
	// the request normally, weight included.
	FaultSlow
	// FaultDrop hijacks the connection and closes it without any response.
	FaultDrop
	// FaultTruncate sends 200 headers whose Content-Length is the full body,
	// writes only the first half of the body, then closes the connection.
	FaultTruncate
)

// Fault is one scripted misbehaviour. Faults consume no request weight.
type Fault struct {
	Kind       FaultKind
	Status     int
	RetryAfter time.Duration
	Delay      time.Duration
}

// Status429 is a rate-limit answer telling the client to wait retryAfter.
func Status429(retryAfter time.Duration) Fault {
	return Fault{Kind: FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: retryAfter}
}

// Status418 is an IP-ban answer telling the client to wait retryAfter.
func Status418(retryAfter time.Duration) Fault {
	return Fault{Kind: FaultStatus, Status: http.StatusTeapot, RetryAfter: retryAfter}
}

// Status5xx is a server-side failure such as 500, 502, 503 or 504.
func Status5xx(code int) Fault { return Fault{Kind: FaultStatus, Status: code} }

// Slow delays the request by d before serving it normally.
func Slow(d time.Duration) Fault { return Fault{Kind: FaultSlow, Delay: d} }

// Drop closes the connection without answering.
func Drop() Fault { return Fault{Kind: FaultDrop} }

// Truncate sends half a body under a Content-Length promising all of it.
func Truncate() Fault { return Fault{Kind: FaultTruncate} }

// injected is a queued fault with its remaining count.
type injected struct {
	path string
	left int
	f    Fault
}

// Inject makes the next n requests whose URL path equals path ("" = any
// path) get fault f instead of normal handling. Entries are consumed in FIFO
// order: a request takes the oldest entry that matches it.
func (s *Server) Inject(path string, n int, f Fault) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.faults = append(s.faults, injected{path: path, left: n, f: f})
	s.mu.Unlock()
}

// takeFault pops one use of the oldest matching entry. Caller holds s.mu.
func (s *Server) takeFault(path string) (Fault, bool) {
	for i := range s.faults {
		e := &s.faults[i]
		if e.path != "" && e.path != path {
			continue
		}
		f := e.f
		if e.left--; e.left == 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return f, true
	}
	return Fault{}, false
}

// applyFault acts out f and reports whether normal handling should follow
// (only after a completed FaultSlow).
func (s *Server) applyFault(w *statusWriter, r *http.Request, f Fault, rt route, known bool) bool {
	switch f.Kind {
	case FaultStatus:
		s.faultStatus(w, f, rt, known)
	case FaultSlow:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done():
			w.dropped() // the client left; nothing was answered
		}
	case FaultDrop:
		w.dropped()
		closeConn(w)
	case FaultTruncate:
		s.truncate(w, r, rt, known)
	default:
		return true
	}
	return false
}

func (s *Server) faultStatus(w *statusWriter, f Fault, rt route, known bool) {
	if f.Status < 100 || f.Status > 999 {
		f.Status = http.StatusInternalServerError // net/http would panic on it
	}
	e := &apiError{f.Status, -1000, "An unknown error occurred while processing the request."}
	switch {
	case f.Status == http.StatusTooManyRequests:
		limit := specs[Spot].weightLimit // any path may be faulted, even a 404 one
		if known {
			limit = s.cfg.limits[rt.market]
		}
		e = tooManyError(limit)
	case f.Status == http.StatusTeapot:
		e = bannedError(s.cfg.wall().Add(f.RetryAfter))
	case f.Status == http.StatusServiceUnavailable:
		e.code, e.msg = -1008, "Server is currently overloaded with other requests. Please try again in a few minutes."
	case f.Status >= 500:
		e.code, e.msg = -1001, "Internal error; unable to process your request. Please try again."
	}
	if f.Status == http.StatusTooManyRequests || f.Status == http.StatusTeapot {
		w.Header().Set("Retry-After", retrySeconds(f.RetryAfter))
		if known {
			now := s.cfg.wall()
			s.mu.Lock()
			setWeightHeaders(w, rt.market, s.usedWeight(rt.market, now))
			if f.Status == http.StatusTooManyRequests {
				s.noteRetryAfter(rt.market, now, f.RetryAfter)
			}
			s.mu.Unlock()
		}
	}
	writeError(w, e)
}

// truncate renders the normal answer (without charging weight), then sends
// only half of it under the full Content-Length and closes the connection.
func (s *Server) truncate(w *statusWriter, r *http.Request, rt route, known bool) {
	rec := &bufferWriter{header: http.Header{}}
	s.serveEndpoint(rec, r, rt, known)
	body := rec.body
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	declared := max(len(body), 2) // promise more than the half we send, even for tiny bodies
	w.Header().Set("Content-Length", strconv.Itoa(declared))
	w.WriteHeader(http.StatusOK)
	w.Write(body[:len(body)/2])
	http.NewResponseController(w).Flush() // Hijack does not flush buffered body bytes
	closeConn(w)
}

// closeConn ends the connection abruptly. Hijacking works on HTTP/1; on
// anything else ErrAbortHandler makes net/http reset the stream instead.
func closeConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// bufferWriter captures a response in memory (used by truncate).
type bufferWriter struct {
	header http.Header
	code   int
	body   []byte
}

func (b *bufferWriter) Header() http.Header { return b.header }
func (b *bufferWriter) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}
func (b *bufferWriter) Write(p []byte) (int, error) {
	b.body = append(b.body, p...)
	return len(p), nil
}
