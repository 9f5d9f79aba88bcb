package collector

import (
	"net/http"
	"strings"
	"time"
)

// ClientOptions configures the HTTP client all Binance REST calls share.
type ClientOptions struct {
	Retry RetryPolicy
	// Window is the length of Binance's weight window (a minute); tests
	// and benchmarks against a fake may shorten it.
	Window time.Duration
	// Wrap, if set, wraps the transport of each attempt (telemetry).
	Wrap func(http.RoundTripper) http.RoundTripper
	// Base is the innermost transport; default a clone of http.DefaultTransport.
	Base http.RoundTripper
	// Clock, if set, learns the exchange's time from every response.
	Clock *ExchangeClock
}

// HTTPClient is the http.Client handed to go-binance: retries outermost,
// then weight pacing, then (optional) instrumentation, then the network.
type HTTPClient struct {
	*http.Client
	limiter *weightLimiter
}

// NewHTTPClient builds the layered client.
func NewHTTPClient(o ClientOptions) *HTTPClient {
	lim := newWeightLimiter(o.transport(), o.Window)
	return &HTTPClient{
		Client:  &http.Client{Transport: &retryTransport{next: lim, policy: o.retry(DefaultRetryPolicy), limit: restBodyLimit}},
		limiter: lim,
	}
}

// ArchiveRetryPolicy suits data.binance.vision: a month of 1m candles is a
// few MB, so an attempt may take longer than a REST page.
var ArchiveRetryPolicy = RetryPolicy{Attempts: 6, BaseDelay: 500 * time.Millisecond, MaxDelay: 15 * time.Second, RequestTimeout: 5 * time.Minute}

// NewArchiveHTTPClient builds the client for data.binance.vision: the same
// retry layer and instrumentation as REST, but no weight pacing, because
// the archive is a plain file server without weight headers or limits.
func NewArchiveHTTPClient(o ClientOptions) *http.Client {
	return &http.Client{Transport: &retryTransport{next: o.transport(), policy: o.retry(ArchiveRetryPolicy), limit: archiveBodyLimit}}
}

// perAttempt splits c for a caller that streams a body and retries by
// itself (downloadToFile): it returns c without its retry layer, which
// reads every body into memory, keeping what lies below it (weight pacing
// where there is any, instrumentation, the connection pool), and the retry
// policy that layer applied. A client without a retry layer is returned as
// it is, with def.
func perAttempt(c *http.Client, def RetryPolicy) (*http.Client, RetryPolicy) {
	if c == nil {
		c = http.DefaultClient
	}
	rt, ok := c.Transport.(*retryTransport)
	if !ok {
		return c, def
	}
	inner := *c
	inner.Transport = rt.next
	return &inner, rt.policy
}

// Bounds of a REST response held in memory. A klines page of 1000 (spot)
// or 1500 (futures) candles is 150-280 KB of JSON (about 170 bytes a
// candle at Binance's 8 decimals), so maxKlinesBody leaves a margin of
// more than 10x. exchangeInfo is the biggest other response: spot is asked
// for one symbol (a few KB); the futures markets' full lists are about
// 1 MB (USD-M, some 500 symbols of 1-2 KB) and the unfiltered spot list a
// few MB, so maxRESTBody holds any of them several times over.
const (
	maxKlinesBody = 4 << 20
	maxRESTBody   = 16 << 20
)

// restBodyLimit bounds a REST response: kline pages tighter than the rest.
func restBodyLimit(req *http.Request) int64 {
	if strings.HasSuffix(req.URL.Path, "/klines") || strings.HasSuffix(req.URL.Path, "/uiKlines") {
		return maxKlinesBody
	}
	return maxRESTBody
}

// maxArchiveBody bounds an archive download made without a per-file bound
// (ArchiveSource sets one from the file's period; see fileLimits).
const maxArchiveBody = 64 << 20

func archiveBodyLimit(*http.Request) int64 { return maxArchiveBody }

// transport is the per-attempt transport: Base (default: a clone of
// http.DefaultTransport) wrapped by Wrap.
func (o ClientOptions) transport() http.RoundTripper {
	base := o.Base
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		base = t
	}
	if o.Clock != nil {
		base = &clockTransport{next: base, clock: o.Clock}
	}
	if o.Wrap != nil {
		base = o.Wrap(base)
	}
	return base
}

func (o ClientOptions) retry(def RetryPolicy) RetryPolicy {
	if o.Retry.Attempts == 0 {
		return def
	}
	return o.Retry
}
