package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// RetryPolicy bounds the retries of one request.
type RetryPolicy struct {
	Attempts       int           // total tries, including the first
	BaseDelay      time.Duration // first backoff
	MaxDelay       time.Duration // backoff cap
	RequestTimeout time.Duration // per attempt, including reading the body
}

// DefaultRetryPolicy is used by the CLI.
var DefaultRetryPolicy = RetryPolicy{Attempts: 6, BaseDelay: 250 * time.Millisecond, MaxDelay: 15 * time.Second, RequestTimeout: 30 * time.Second}

// StatusError is a response Binance kept failing with after all retries.
type StatusError struct {
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s after retries: %.200s", e.Status, http.StatusText(e.Status), e.Body)
}

// retryTransport retries 5xx, 429, timeouts and dropped or truncated
// responses with capped, jittered exponential backoff. It reads every body
// to the end before returning, so a connection dropped mid-body is retried
// here rather than surfacing as a JSON error in the client. 418 is never
// retried. Waiting out Retry-After is the weightLimiter's job (below it).
// A body longer than the request's limit (withBodyLimit, else limit) fails
// at once, without a retry: the server would send the same again.
type retryTransport struct {
	next   http.RoundTripper
	policy RetryPolicy
	limit  func(*http.Request) int64 // most bytes of a body held in memory
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var lastErr error
	for attempt := 0; attempt < max(t.policy.Attempts, 1); attempt++ {
		if attempt > 0 {
			if err := sleep(req.Context(), t.backoff(attempt)); err != nil {
				return nil, err
			}
		}
		resp, body, err := t.try(req)
		switch {
		case err != nil:
			var banned *BannedError
			if errors.As(err, &banned) || req.Context().Err() != nil || !retryableError(err) {
				return nil, err
			}
			lastErr = err
		case resp.StatusCode == http.StatusTeapot:
			return nil, &BannedError{Until: time.Now().Add(retryAfter(resp, 2*time.Minute))}
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			lastErr = &StatusError{Status: resp.StatusCode, Body: string(body)}
		default:
			resp.Body = newMemBody(body)
			return resp, nil
		}
	}
	return nil, lastErr
}

// try makes one attempt and reads the whole body under the attempt's timeout.
func (t *retryTransport) try(req *http.Request) (*http.Response, []byte, error) {
	ctx, cancel := req.Context(), context.CancelFunc(func() {})
	if t.policy.RequestTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, t.policy.RequestTimeout)
	}
	defer cancel()
	resp, err := t.next.RoundTrip(req.Clone(ctx))
	if err != nil {
		return nil, nil, err
	}
	limit := t.bodyLimit(req)
	if resp.StatusCode >= 300 {
		// An error page is read for its message only; a long one is cut
		// rather than failed, so a 5xx is still retried.
		body, _ := readBody(io.LimitReader(resp.Body, maxErrorBody), resp.ContentLength, maxErrorBody)
		resp.Body.Close()
		return resp, body, nil
	}
	body, err := readBody(resp.Body, resp.ContentLength, limit)
	resp.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("read response of %s: %w", req.URL.Path, err)
	}
	return resp, body, nil
}

// ErrBodyTooLarge is a response body longer than its limit.
var ErrBodyTooLarge = errors.New("response body too large")

// maxErrorBody bounds what is read of a non-2xx response.
const maxErrorBody = 64 << 10

// Reading a body: before any byte arrives at most a quarter of the limit
// (at least firstBodyBuf) is reserved, and less when Content-Length says
// so: Content-Length is only a claim, and a server declaring 1 GB and
// sending 10 bytes must not cost 1 GB. Each later buffer is at most
// growBodyBy times the bytes already received, up to the declared length
// or the limit. A REST page (150-300 KB) fits the first buffer exactly, and
// so does an archive zip, whose limit comes from the candles its period
// can hold (a monthly 1m zip of 3 MB against a 17 MB bound): no copy and
// no second buffer on the archive path.
const (
	firstBodyBuf = 1 << 20
	growBodyBy   = 4
)

// readBody reads r to the end into memory, failing with ErrBodyTooLarge
// once more than limit bytes arrive. declared is the Content-Length, -1 if
// unknown.
func readBody(r io.Reader, declared, limit int64) ([]byte, error) {
	// One byte beyond the expected end lets EOF (or an excess) be seen
	// without growing the buffer.
	want := max(int64(firstBodyBuf), limit/4)
	if declared >= 0 {
		want = min(want, declared+1)
	}
	buf := make([]byte, 0, min(want, limit+1))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, fmt.Errorf("%w: more than the %d bytes allowed", ErrBodyTooLarge, limit)
			}
			next := int64(len(buf)) * growBodyBy
			if declared >= int64(len(buf)) {
				next = min(next, declared+1)
			}
			grown := make([]byte, len(buf), min(next, limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case int64(len(buf)) > limit:
			return nil, fmt.Errorf("%w: more than the %d bytes allowed", ErrBodyTooLarge, limit)
		case errors.Is(err, io.EOF):
			return buf, nil
		case err != nil:
			return nil, err
		}
	}
}

// bodyLimit is the most bytes of req's response body held in memory: the
// request's own limit (withBodyLimit), else the client's.
func (t *retryTransport) bodyLimit(req *http.Request) int64 {
	if n, ok := req.Context().Value(bodyLimitKey{}).(int64); ok {
		return n
	}
	if t.limit != nil {
		return t.limit(req)
	}
	return maxRESTBody
}

type bodyLimitKey struct{}

// withBodyLimit sets the most bytes the retry layer reads of the response
// to a request made with ctx (an archive file's bound).
func withBodyLimit(ctx context.Context, n int64) context.Context {
	return context.WithValue(ctx, bodyLimitKey{}, n)
}

func (t *retryTransport) backoff(attempt int) time.Duration { return t.policy.backoff(attempt) }

// backoff is the wait before retry number attempt (1 = the first retry).
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.BaseDelay << (attempt - 1)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	// Full jitter keeps concurrent tasks from retrying in lock-step.
	return d/2 + rand.N(d/2+1)
}

// retryableError classifies transport errors once. A kline GET is
// idempotent, so timeouts, resets, refused and dropped connections and
// truncated bodies are all worth another try; only cancellation and a body
// over its limit (the server would send the same again) are final.
func retryableError(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, ErrBodyTooLarge)
}

// memBody is a response body already read into memory. It exposes
// io.ReaderAt and Size, and its bytes, so a zip can be opened in place
// instead of copied.
type memBody struct {
	*bytes.Reader
	b []byte // the whole body; read only
}

func newMemBody(b []byte) memBody { return memBody{bytes.NewReader(b), b} }

func (memBody) Close() error { return nil }
