package collector

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// BannedError is returned for every request once Binance answered 418
// (IP banned): all REST work stops at once.
type BannedError struct {
	Until time.Time
}

func (e *BannedError) Error() string {
	return fmt.Sprintf("Binance banned this IP (HTTP 418) until %s: stopping all REST requests", e.Until.UTC().Format(time.RFC3339))
}

// A token bucket holds burst(limit) weight and refills at rate(limit):
// burst + one window of refill stays just under the limit in any window, so
// a normal run never sees a 429, while a long run spends ~97% of the limit
// (spot 6000: burst 150, 5820 per minute).
const (
	burstShare = 0.025 // of the limit, spendable at once
	maxWeight  = 25    // heaviest request (spot historicalTrades)
	headroom   = 0.995 // for requests that reach the server late
)

// weightLimiter is an http.RoundTripper that paces requests to stay under
// Binance's REQUEST_WEIGHT limit per window. It keeps one token bucket per
// weight counter (spot, usdm, coinm), corrects itself from the
// X-MBX-USED-WEIGHT-1M header (other clients on the same IP count too),
// pauses everything for Retry-After on 429 and refuses all requests after 418.
type weightLimiter struct {
	next   http.RoundTripper
	window time.Duration // default window, until exchangeInfo says otherwise

	mu          sync.Mutex
	buckets     map[string]*weightBucket
	pacers      map[string]*rate.Limiter // endpointLimits, by host and path
	limits      map[string]weightRule    // from exchangeInfo, by bucket
	bannedUntil time.Time
}

// weightRule is a REQUEST_WEIGHT limit per window.
type weightRule struct {
	limit  int
	window time.Duration
}

type weightBucket struct {
	weightRule
	tokens      *rate.Limiter
	pausedUntil time.Time
	// Last seen server count and the window it belongs to.
	serverWindow int64
	serverUsed   int
	inflight     int
}

func newWeightLimiter(next http.RoundTripper, window time.Duration) *weightLimiter {
	if window <= 0 {
		window = time.Minute
	}
	return &weightLimiter{next: next, window: window, buckets: map[string]*weightBucket{}, limits: map[string]weightRule{}, pacers: map[string]*rate.Limiter{}}
}

// SetLimit sets the REQUEST_WEIGHT limit per window of a market (from exchangeInfo).
func (l *weightLimiter) SetLimit(host string, m Market, limit int, window time.Duration) {
	if limit <= 0 || window <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	key := host + " " + string(m)
	rule := weightRule{limit: limit, window: window}
	l.limits[key] = rule
	if b, ok := l.buckets[key]; ok && b.weightRule != rule {
		// Start the new pace from an empty bucket; what was already spent
		// this window is in the server's count, which acquire checks.
		b.weightRule = rule
		b.tokens = newBucket(rule.rate(), burst(limit))
	}
}

func (r weightRule) rate() rate.Limit {
	return rate.Limit(float64(r.limit-burst(r.limit)) * headroom / r.window.Seconds())
}

func burst(limit int) int { return max(int(float64(limit)*burstShare), maxWeight) }

func (l *weightLimiter) bucket(key string) *weightBucket {
	b, ok := l.buckets[key]
	if !ok {
		rule, ok := l.limits[key]
		if !ok {
			rule = weightRule{limit: markets[Market(marketSuffix(key))].defaultLimit, window: l.window}
		}
		b = &weightBucket{weightRule: rule, tokens: newBucket(rule.rate(), burst(rule.limit))}
		l.buckets[key] = b
	}
	return b
}

// newBucket returns an empty token bucket, so a fresh process does not add a
// burst on top of what an earlier process used this window.
func newBucket(r rate.Limit, burst int) *rate.Limiter {
	l := rate.NewLimiter(r, burst)
	l.AllowN(time.Now(), burst)
	return l
}

func marketSuffix(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == ' ' {
			return key[i+1:]
		}
	}
	return key
}

func (l *weightLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	w := requestWeight(req.URL.Path, req.URL.Query())
	key := bucketOf(req.URL.Host, req.URL.Path)
	if p := l.pacer(req.URL.Host, req.URL.Path); p != nil {
		if err := p.Wait(ctx); err != nil {
			return nil, err
		}
	}
	if err := l.acquire(ctx, key, w); err != nil {
		return nil, err
	}
	resp, err := l.next.RoundTrip(req)
	l.observe(key, w, resp)
	return resp, err
}

// endpointLimits are limits of single REST paths beside the request
// weight: Binance allows GET /fapi/v1/fundingRate 500 requests per 5
// minutes per IP (shared with /fapi/v1/fundingInfo, which collect does not
// call); /dapi/v1/fundingRate is held to the same.
var endpointLimits = map[string]weightRule{
	"/fapi/v1/fundingRate": {limit: 500, window: 5 * time.Minute},
	"/dapi/v1/fundingRate": {limit: 500, window: 5 * time.Minute},
}

// endpointBurst is how many requests of a limited path go out at once;
// the rest are spread so that burst + a window's refill stays under the
// limit in any window.
const endpointBurst = 10

// pacer is the token bucket of a path with its own limit, or nil.
func (l *weightLimiter) pacer(host, path string) *rate.Limiter {
	rule, ok := endpointLimits[path]
	if !ok {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.pacers[host+path]
	if !ok {
		p = rate.NewLimiter(rate.Limit(float64(rule.limit-endpointBurst)*headroom/rule.window.Seconds()), endpointBurst)
		l.pacers[host+path] = p
	}
	return p
}

// acquire waits until a request of weight w may be sent.
func (l *weightLimiter) acquire(ctx context.Context, key string, w int) error {
	l.mu.Lock()
	b := l.bucket(key)
	l.mu.Unlock()
	// Token bucket first: it spreads the run's own requests over the window.
	for left := w; left > 0; left -= b.tokens.Burst() {
		if err := b.tokens.WaitN(ctx, min(left, b.tokens.Burst())); err != nil {
			return err
		}
	}
	for {
		l.mu.Lock()
		now := time.Now()
		if now.Before(l.bannedUntil) {
			until := l.bannedUntil
			l.mu.Unlock()
			return &BannedError{Until: until}
		}
		var wait time.Duration
		win := now.UnixNano() / int64(b.window)
		switch {
		case now.Before(b.pausedUntil):
			wait = b.pausedUntil.Sub(now)
		case b.serverWindow == win && b.serverUsed+b.inflight+w > b.limit:
			// The server says this window is (nearly) spent, e.g. by
			// another process on the same IP: wait for the next one.
			wait = time.Duration((win+1)*int64(b.window)-now.UnixNano()) + b.window/1000
		default:
			b.inflight += w
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// observe records the server's view after a response.
func (l *weightLimiter) observe(key string, w int, resp *http.Response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	b.inflight -= w
	if resp == nil {
		return
	}
	now := time.Now()
	if v := resp.Header.Get("X-Mbx-Used-Weight-1m"); v != "" {
		if used, err := strconv.Atoi(v); err == nil {
			// Within a window the count only grows; a lower number is a
			// late answer to an earlier request.
			if win := now.UnixNano() / int64(b.window); win != b.serverWindow || used > b.serverUsed {
				b.serverWindow, b.serverUsed = win, used
			}
		}
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		b.pausedUntil = later(b.pausedUntil, now.Add(retryAfter(resp, time.Second)))
	case http.StatusTeapot:
		l.bannedUntil = later(l.bannedUntil, now.Add(retryAfter(resp, 2*time.Minute)))
	}
}

// retryAfter reads the Retry-After header (seconds), or def.
func retryAfter(resp *http.Response, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
