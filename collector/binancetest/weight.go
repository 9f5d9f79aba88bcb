package binancetest

import (
	"net/http"
	"strconv"
	"time"
)

// weightState is one market's REQUEST_WEIGHT counter. Binance uses fixed
// windows aligned to UTC minutes; we align to wall-clock multiples of the
// configured window, always on the wall clock (see package doc).
type weightState struct {
	limit       int
	windowID    int64
	used        int
	retryUntil  int64 // wall ns; requests before it ignored a Retry-After
	bannedUntil int64 // wall ns; 418 for everything until then
	ignored     int   // requests that ignored Retry-After since the last ban
}

// verdict is admit's decision for one request.
type verdict struct {
	status      int // 0 = serve, 429 or 418
	used        int // value for X-MBX-USED-WEIGHT-1M
	retry       time.Duration
	bannedUntil time.Time
}

// maxTrackedWindows bounds Stats.WeightPerWindow if someone runs a tiny
// window for a long time.
const maxTrackedWindows = 1 << 20

// roll starts a new window when the wall clock has moved past the current one.
// Caller holds s.mu.
func (s *Server) roll(m Market, ns int64) *weightState {
	ws := s.weights[m]
	if id := ns / int64(s.cfg.window); id != ws.windowID {
		ws.windowID, ws.used = id, 0
	}
	return ws
}

// admit charges weight to market m and decides whether the request may run.
// Like Binance, a rejected request's weight still counts. Caller holds s.mu.
func (s *Server) admit(m Market, weight int, now time.Time) verdict {
	ns := now.UnixNano()
	ws := s.roll(m, ns)
	win := int64(s.cfg.window)
	if ns < ws.bannedUntil {
		return s.banVerdict(ws, ns)
	}
	if s.cfg.banAfter > 0 && ns < ws.retryUntil {
		ws.ignored++
		if ws.ignored > s.cfg.banAfter {
			ws.ignored = 0
			ws.bannedUntil = ns + 2*win
			return s.banVerdict(ws, ns)
		}
	}
	ws.used += weight
	s.chargeWindow(m, ws.windowID, weight)
	if ws.used > ws.limit {
		end := (ws.windowID + 1) * win
		ws.retryUntil = max(ws.retryUntil, end)
		return verdict{status: http.StatusTooManyRequests, used: ws.used, retry: time.Duration(end - ns)}
	}
	return verdict{used: ws.used}
}

func (s *Server) banVerdict(ws *weightState, ns int64) verdict {
	return verdict{
		status: http.StatusTeapot, used: ws.used,
		retry:       time.Duration(ws.bannedUntil - ns),
		bannedUntil: time.Unix(0, ws.bannedUntil),
	}
}

// chargeWindow records weight for Stats, indexed from the server start's
// window. Caller holds s.mu.
func (s *Server) chargeWindow(m Market, id int64, weight int) {
	idx := id - s.startWindow
	if idx < 0 || idx >= maxTrackedWindows {
		return
	}
	pw := s.stats.WeightPerWindow[m]
	for int64(len(pw)) <= idx {
		pw = append(pw, 0)
	}
	pw[idx] += weight
	s.stats.WeightPerWindow[m] = pw
}

// noteRetryAfter makes a scripted 429 count like a real one for the ban
// escalation: requests before now+d ignored it. Caller holds s.mu.
func (s *Server) noteRetryAfter(m Market, now time.Time, d time.Duration) {
	ws := s.weights[m]
	ws.retryUntil = max(ws.retryUntil, now.Add(d).UnixNano())
}

// usedWeight is the current window's usage without charging anything, for
// scripted 429/418 answers. Caller holds s.mu.
func (s *Server) usedWeight(m Market, now time.Time) int {
	return s.roll(m, now.UnixNano()).used
}

// setWeightHeaders adds Binance's usage headers; spot also sends the legacy
// un-suffixed name.
func setWeightHeaders(w http.ResponseWriter, m Market, used int) {
	v := strconv.Itoa(used)
	w.Header().Set("X-MBX-USED-WEIGHT-1M", v)
	if m == Spot {
		w.Header().Set("X-MBX-USED-WEIGHT", v)
	}
}

// tooManyError is the body of a weight-limit 429.
func tooManyError(limit int) *apiError {
	return &apiError{http.StatusTooManyRequests, -1003, "Too many requests; current limit of IP is " +
		strconv.Itoa(limit) + " requests per minute. Please use the websocket for live updates to avoid polling the API."}
}

// bannedError is the body of a 418.
func bannedError(until time.Time) *apiError {
	return &apiError{http.StatusTeapot, -1003, "Way too many requests; IP banned until " +
		strconv.FormatInt(until.UnixMilli(), 10) + ". Please use the websocket for live updates to avoid bans."}
}
