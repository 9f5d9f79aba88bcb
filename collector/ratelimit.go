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

// pacing is the share of a window's weight limit a run spends steadily;
// burstShare is the extra it may spend at once. Together they stay under
// the limit in any window, so a normal run never sees a 429.
const (
	pacing     = 0.97
	burstShare = 0.025
)

// weightLimiter is an http.RoundTripper that paces requests to stay under
// Binance's REQUEST_WEIGHT limit per window. It keeps one token bucket per
// weight counter (spot, usdm, coinm), corrects itself from the
// X-MBX-USED-WEIGHT-1M header (other clients on the same IP count too),
// pauses everything for Retry-After on 429 and refuses all requests after 418.
type weightLimiter struct {
	next   http.RoundTripper
	window time.Duration

	mu          sync.Mutex
	buckets     map[string]*weightBucket
	limits      map[string]int // configured limits by market bucket suffix
	bannedUntil time.Time
}

type weightBucket struct {
	limit       int
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
	return &weightLimiter{next: next, window: window, buckets: map[string]*weightBucket{}, limits: map[string]int{}}
}

// SetLimit sets the REQUEST_WEIGHT limit per window of a market (from exchangeInfo).
func (l *weightLimiter) SetLimit(host string, m Market, limit int) {
	if limit <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	key := host + " " + string(m)
	l.limits[key] = limit
	if b, ok := l.buckets[key]; ok {
		b.limit = limit
		b.tokens.SetLimit(l.rate(limit))
		b.tokens.SetBurst(burst(limit))
	}
}

func (l *weightLimiter) rate(limit int) rate.Limit {
	return rate.Limit(float64(limit) * pacing / l.window.Seconds())
}

func burst(limit int) int { return max(int(float64(limit)*burstShare), 20) }

func (l *weightLimiter) bucket(key string) *weightBucket {
	b, ok := l.buckets[key]
	if !ok {
		limit := l.limits[key]
		if limit == 0 {
			limit = markets[Market(marketSuffix(key))].defaultLimit
		}
		b = &weightBucket{limit: limit, tokens: rate.NewLimiter(l.rate(limit), burst(limit))}
		// Start with an empty bucket so a fresh process does not add a
		// burst on top of what an earlier process used this window.
		b.tokens.AllowN(time.Now(), burst(limit))
		l.buckets[key] = b
	}
	return b
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
	if err := l.acquire(ctx, key, w); err != nil {
		return nil, err
	}
	resp, err := l.next.RoundTrip(req)
	l.observe(key, w, resp)
	return resp, err
}

// acquire waits until a request of weight w may be sent.
func (l *weightLimiter) acquire(ctx context.Context, key string, w int) error {
	l.mu.Lock()
	b := l.bucket(key)
	l.mu.Unlock()
	// Token bucket first: it spreads the run's own requests over the window.
	if err := b.tokens.WaitN(ctx, min(w, b.tokens.Burst())); err != nil {
		return err
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
		win := now.UnixNano() / int64(l.window)
		switch {
		case now.Before(b.pausedUntil):
			wait = b.pausedUntil.Sub(now)
		case b.serverWindow == win && b.serverUsed+b.inflight+w > b.limit:
			// The server says this window is (nearly) spent, e.g. by
			// another process on the same IP: wait for the next one.
			wait = time.Duration((win+1)*int64(l.window)-now.UnixNano()) + 50*time.Millisecond
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
			// The newest answer is the server's current count.
			b.serverWindow, b.serverUsed = now.UnixNano()/int64(l.window), used
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
