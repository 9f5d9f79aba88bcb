package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
type retryTransport struct {
	next   http.RoundTripper
	policy RetryPolicy
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
	// Size the buffer from Content-Length (bounded, it is only a hint) so
	// a multi-MB archive zip is not built by repeated doubling.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(resp.ContentLength, 0), maxPrealloc)+bytes.MinRead))
	_, err = buf.ReadFrom(resp.Body)
	body := buf.Bytes()
	resp.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("read response of %s: %w", req.URL.Path, err)
	}
	return resp, body, nil
}

func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.policy.BaseDelay << (attempt - 1)
	if d > t.policy.MaxDelay || d <= 0 {
		d = t.policy.MaxDelay
	}
	// Full jitter keeps concurrent tasks from retrying in lock-step.
	return d/2 + rand.N(d/2+1)
}

// retryableError classifies transport errors once. A kline GET is
// idempotent, so timeouts, resets, refused and dropped connections and
// truncated bodies are all worth another try; only cancellation is final.
func retryableError(err error) bool {
	return !errors.Is(err, context.Canceled)
}

// maxPrealloc bounds the buffer reserved from a Content-Length header.
const maxPrealloc = 64 << 20

// memBody is a response body already read into memory. It exposes
// io.ReaderAt and Size, and its bytes, so a zip can be opened in place
// instead of copied.
type memBody struct {
	*bytes.Reader
	b []byte // the whole body; read only
}

func newMemBody(b []byte) memBody { return memBody{bytes.NewReader(b), b} }

func (memBody) Close() error { return nil }
