package telemetry

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// apiSets caches the attribute sets of the API instruments. Endpoints are
// the fixed paths of Binance's API and status codes a small set, so the
// cache stays tiny and, once warm, a request records without allocating.
type apiSets struct {
	mu        sync.RWMutex
	endpoints map[string]*endpointSets
}

type endpointSets struct {
	endpoint string
	duration *opts
	mu       sync.RWMutex
	statuses map[int]*opts
}

func newAPISets() apiSets { return apiSets{endpoints: map[string]*endpointSets{}} }

func (a *apiSets) endpoint(path string) *endpointSets {
	a.mu.RLock()
	e := a.endpoints[path]
	a.mu.RUnlock()
	if e != nil {
		return e
	}
	return a.add(path)
}

// endpointBytes is endpoint for a name built in a buffer: the lookup
// converts it without allocating, only a new endpoint copies it.
func (a *apiSets) endpointBytes(path []byte) *endpointSets {
	a.mu.RLock()
	e := a.endpoints[string(path)]
	a.mu.RUnlock()
	if e != nil {
		return e
	}
	return a.add(string(path))
}

func (a *apiSets) add(path string) *endpointSets {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.endpoints[path]
	if e == nil {
		set := attribute.NewSet(attribute.String("endpoint", path))
		e = &endpointSets{endpoint: path, duration: newOpts(set), statuses: map[int]*opts{}}
		a.endpoints[path] = e
	}
	return e
}

// status returns the endpoint+status_code set; status 0 means the request
// got no answer (connection error, timeout).
func (e *endpointSets) status(code int) *opts {
	e.mu.RLock()
	opt, ok := e.statuses[code]
	e.mu.RUnlock()
	if ok {
		return opt
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if opt, ok = e.statuses[code]; !ok {
		sc := "error"
		if code > 0 {
			sc = strconv.Itoa(code)
		}
		opt = newOpts(attribute.NewSet(attribute.String("endpoint", e.endpoint), attribute.String("status_code", sc)))
		e.statuses[code] = opt
	}
	return opt
}

// Endpoint is the endpoint attribute of a request path. REST paths are a
// fixed set and kept as they are (/api/v3/klines, /api/v3/historicalTrades,
// /fapi/v1/aggTrades). An archive path names one file
// (/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip), which
// would make a time series per file; it keeps its folder up to the
// dataset's and templates the rest, so the attribute stays bounded: one
// value per folder template,
// /data/spot/monthly/klines/{symbol}/{interval}/{file}.zip and
// /data/spot/daily/trades/{symbol}/{file}.zip (and .zip.CHECKSUM).
func Endpoint(path string) string {
	if archiveFolder(path) < 0 {
		return path
	}
	return string(appendEndpoint(nil, path))
}

// archiveFolder returns where the dataset folder of an archive file's
// path begins (.../data/.../{daily|monthly}/{dataset}/{symbol}/[{interval}/]{file}),
// or -1 when path is not one.
func archiveFolder(path string) int {
	i := max(indexAfter(path, "/daily/"), indexAfter(path, "/monthly/"))
	if i < 0 || !strings.Contains(path[:i], "/data/") || strings.Count(path[i:], "/") < 2 { // dataset, symbol, file at least
		return -1
	}
	return i
}

// indexAfter is the index just after the last s in path, -1 if none.
func indexAfter(path, s string) int {
	if i := strings.LastIndex(path, s); i >= 0 {
		return i + len(s)
	}
	return -1
}

// appendEndpoint appends the template of an archive file's path to dst;
// building it in a caller's buffer lets the transport look it up without
// allocating.
func appendEndpoint(dst []byte, path string) []byte {
	i := archiveFolder(path)
	rest := path[i:]
	folder, rest, _ := strings.Cut(rest, "/")
	dst = append(dst, path[:i]...)
	dst = append(dst, folder...)
	dst = append(dst, "/{symbol}/"...)
	if strings.Count(rest, "/") > 1 { // symbol, interval(s), file
		dst = append(dst, "{interval}/"...)
	}
	dst = append(dst, "{file}"...)
	for _, ext := range []string{".zip.CHECKSUM", ".zip", ".CHECKSUM"} {
		if strings.HasSuffix(rest, ext) {
			return append(dst, ext...)
		}
	}
	return dst
}

// RecordAPIRequest records one HTTP attempt: the request counter, its
// duration and, for 429 and 418, a rate-limit event. It allocates nothing
// once the endpoint and status have been seen.
func (m *Metrics) RecordAPIRequest(ctx context.Context, endpoint string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.recordAPI(ctx, m.api.endpoint(endpoint), status, d)
}

// recordRequestPath is RecordAPIRequest for a request's path, normalised
// by Endpoint without allocating.
func (m *Metrics) recordRequestPath(ctx context.Context, path string, status int, d time.Duration) {
	if archiveFolder(path) < 0 {
		m.recordAPI(ctx, m.api.endpoint(path), status, d)
		return
	}
	var buf [192]byte
	m.recordAPI(ctx, m.api.endpointBytes(appendEndpoint(buf[:0], path)), status, d)
}

func (m *Metrics) recordAPI(ctx context.Context, e *endpointSets, status int, d time.Duration) {
	st := e.status(status)
	m.apiRequests.Add(ctx, 1, st.add...)
	m.apiDuration.Record(ctx, d.Seconds(), e.duration.rec...)
	if status == http.StatusTooManyRequests || status == http.StatusTeapot {
		m.rateLimits.Add(ctx, 1, st.add...)
	}
}

// WrapTransport returns next instrumented: every attempt is one request in
// the metrics, and the bytes of each successful answer go to vol (when not
// nil) as one batch. It is meant for collector.ClientOptions.Wrap, below
// the retry layer, so that retries and 429s are each counted.
func (m *Metrics) WrapTransport(next http.RoundTripper, vol *Recorder) http.RoundTripper {
	if m == nil {
		return next
	}
	return &apiTransport{next: next, m: m, vol: vol}
}

type apiTransport struct {
	next http.RoundTripper
	m    *Metrics
	vol  *Recorder
}

func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	ctx := req.Context()
	t.m.recordRequestPath(ctx, req.URL.Path, status, time.Since(start))
	if t.vol != nil && status >= 200 && status < 300 && resp.Body != nil {
		// The context is kept only to record the body size at its end, under
		// the dataset the request was made for.
		dataType := dataTypeOf(ctx, req.URL.Path)
		resp.Body = &countingBody{ReadCloser: resp.Body, done: func(n int64) { t.vol.recordVolume(ctx, dataType, n) }}
	}
	return resp, err
}

// WrapDialer counts open connections for the active-connections gauge.
func (m *Metrics) WrapDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if m == nil {
		return dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		m.gauges.connections.Add(1)
		return &countedConn{Conn: c, open: &m.gauges.connections}, nil
	}
}

type countedConn struct {
	net.Conn
	open   *atomic.Int64
	closed atomic.Bool
}

// Close decrements the gauge once, however often it is called.
func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.open.Add(-1)
	}
	return c.Conn.Close()
}

// countingBody adds up the bytes of a response body, reporting them once
// at EOF or Close.
type countingBody struct {
	io.ReadCloser
	n    int64
	done func(int64)
	once sync.Once
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.once.Do(func() { b.done(b.n) })
	}
	return n, err
}

func (b *countingBody) Close() error {
	b.once.Do(func() { b.done(b.n) })
	return b.ReadCloser.Close()
}
