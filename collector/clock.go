package collector

import (
	"net/http"
	"sync"
	"time"
)

// ExchangeClock tells the time on Binance's clock from the responses'
// Date headers (SPEC 2.1): a candle is closed, and may be stored, only
// when its close time is before both the local clock and the exchange's.
// A local clock running ahead (a VM without time sync) must never let a
// still-open candle into the lake.
//
// Each response bounds the skew (local minus exchange): the server wrote
// its Date (whole seconds, rounded down) between the request leaving and
// the response arriving. The clock keeps the tightest bounds of all
// responses; Now takes the exchange's time at its earliest possible.
type ExchangeClock struct {
	local func() time.Time

	mu     sync.Mutex
	known  bool
	lo, hi time.Duration // bounds of local minus exchange
	warned bool
	// onSkew hears of every change of the estimate (the gauge).
	onSkew func(skew time.Duration)
	// onWarn is called once, when the clocks differ by more than
	// SkewTolerance for certain.
	onWarn func(skew time.Duration)
}

// SkewTolerance is how far the clocks may differ before collect warns.
const SkewTolerance = time.Second

// NewExchangeClock returns a clock that knows nothing of the exchange yet:
// until a response arrives, Now is the local time.
func NewExchangeClock(local func() time.Time) *ExchangeClock {
	if local == nil {
		local = time.Now
	}
	return &ExchangeClock{local: local}
}

// OnSkew sets what hears of the skew estimate (gauge) and of a skew beyond
// SkewTolerance (a warning, once). Set before the first response.
func (c *ExchangeClock) OnSkew(estimate, warn func(skew time.Duration)) {
	c.onSkew, c.onWarn = estimate, warn
}

// Now is the earlier of the local time and the exchange's earliest
// possible time.
func (c *ExchangeClock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	now := c.local()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known && c.hi > 0 {
		return now.Add(-c.hi)
	}
	return now
}

// Skew returns the estimate of local minus exchange time and whether any
// response has been seen.
func (c *ExchangeClock) Skew() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return (c.lo + c.hi) / 2, c.known
}

// observe takes a server time (whole seconds of a Date header when
// resolution is a second) written between sent and received (local).
func (c *ExchangeClock) observe(server time.Time, resolution time.Duration, sent, received time.Time) {
	// exchange at received is in [server, server+resolution+(received-sent)].
	hi := received.Sub(server)
	lo := hi - resolution - received.Sub(sent)
	c.mu.Lock()
	switch {
	case !c.known || lo > c.hi || hi < c.lo:
		// First answer, or the clocks moved: start over from this one.
		c.lo, c.hi, c.known = lo, hi, true
	default:
		c.lo, c.hi = max(c.lo, lo), min(c.hi, hi)
	}
	est, lo, hi := (c.lo+c.hi)/2, c.lo, c.hi
	warn := !c.warned && (lo > SkewTolerance || hi < -SkewTolerance)
	if warn {
		c.warned = true
	}
	onSkew, onWarn := c.onSkew, c.onWarn
	c.mu.Unlock()
	if onSkew != nil {
		onSkew(est)
	}
	if warn && onWarn != nil {
		onWarn(est)
	}
}

// clockTransport feeds an ExchangeClock with the Date header of every
// response that passes: the REST API's, generated fresh for each request
// (not the archive's: data.binance.vision is a CDN whose cached files keep
// the Date of when they were cached).
type clockTransport struct {
	next  http.RoundTripper
	clock *ExchangeClock
}

func (t *clockTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	sent := t.clock.local()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	// A response from a cache (Age) carries the Date of when it was stored.
	if d, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil && resp.Header.Get("Age") == "" {
		t.clock.observe(d, time.Second, sent, t.clock.local())
	}
	return resp, nil
}
