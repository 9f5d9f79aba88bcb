package collector

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	binance "github.com/adshao/go-binance/v2"
	"github.com/adshao/go-binance/v2/common"
	"github.com/adshao/go-binance/v2/delivery"
	"github.com/adshao/go-binance/v2/futures"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// Source produces the klines of a task's range, oldest first, in pages.
type Source interface {
	Fetch(ctx context.Context, t Task, emit func(page []transform.RawKline) error) error
}

// restSource pages through a market's kline endpoint with go-binance. All
// rate limiting, retries and fault handling live in the HTTP client.
type restSource struct {
	market Market
	info   marketInfo
	page   func(ctx context.Context, symbol, interval string, start, end int64, limit int) ([]transform.RawKline, error)
}

var _ Source = (*restSource)(nil)

// go-binance clients record the last weight header in a field, so they are
// not safe for concurrent use: each page gets its own (cheap) client.

// NewRESTSource returns the REST source of market m at baseURL ("" =
// Binance). It reads the market's weight limit from exchangeInfo (asking
// about probeSymbol on spot, to keep the answer small); if that fails the
// documented default limit is used.
func NewRESTSource(ctx context.Context, m Market, baseURL string, hc *HTTPClient, probeSymbol string) Source {
	if baseURL == "" {
		baseURL = m.DefaultBaseURL()
	}
	s := &restSource{market: m, info: markets[m]}
	var limits []weightRule
	switch m {
	case Spot:
		client := func() *binance.Client {
			c := binance.NewClient("", "")
			c.BaseURL, c.HTTPClient = baseURL, hc.Client
			return c
		}
		c := client()
		s.page = func(ctx context.Context, sym, iv string, start, end int64, limit int) ([]transform.RawKline, error) {
			return toRaw(client().NewKlinesService().Symbol(sym).Interval(iv).StartTime(start).EndTime(end).Limit(limit).Do(ctx))
		}
		if info, err := c.NewExchangeInfoService().Symbol(probeSymbol).Do(ctx); err == nil {
			limits = weightLimits(info.RateLimits)
		}
	case USDM:
		client := func() *futures.Client {
			c := futures.NewClient("", "")
			c.BaseURL, c.HTTPClient = baseURL, hc.Client
			return c
		}
		c := client()
		s.page = func(ctx context.Context, sym, iv string, start, end int64, limit int) ([]transform.RawKline, error) {
			return toRaw(client().NewKlinesService().Symbol(sym).Interval(iv).StartTime(start).EndTime(end).Limit(limit).Do(ctx))
		}
		if info, err := c.NewExchangeInfoService().Do(ctx); err == nil {
			limits = weightLimits(info.RateLimits)
		}
	case COINM:
		client := func() *delivery.Client {
			c := delivery.NewClient("", "")
			c.BaseURL, c.HTTPClient = baseURL, hc.Client
			return c
		}
		c := client()
		s.page = func(ctx context.Context, sym, iv string, start, end int64, limit int) ([]transform.RawKline, error) {
			return toRaw(client().NewKlinesService().Symbol(sym).Interval(iv).StartTime(start).EndTime(end).Limit(limit).Do(ctx))
		}
		if info, err := c.NewExchangeInfoService().Do(ctx); err == nil {
			limits = weightLimits(info.RateLimits)
		}
	}
	if u, err := url.Parse(baseURL); err == nil {
		for _, r := range limits {
			hc.limiter.SetLimit(u.Host, m, r.limit, r.window)
		}
	}
	return s
}

// goKline is any of go-binance's three identical Kline types.
type goKline interface {
	binance.Kline | futures.Kline | delivery.Kline
}

func toRaw[K goKline](ks []*K, err error) ([]transform.RawKline, error) {
	out := make([]transform.RawKline, len(ks))
	for i, k := range ks {
		out[i] = transform.RawKline(*k)
	}
	return out, err
}

// rateLimit mirrors go-binance's three identical RateLimit types.
type rateLimit struct {
	RateLimitType string
	Interval      string
	IntervalNum   int64
	Limit         int64
}

var rateIntervals = map[string]time.Duration{"SECOND": time.Second, "MINUTE": time.Minute, "HOUR": time.Hour, "DAY": 24 * time.Hour}

// weightLimits returns the REQUEST_WEIGHT rules (Binance has one: 1 MINUTE).
func weightLimits[R binance.RateLimit | futures.RateLimit | delivery.RateLimit](rls []R) []weightRule {
	var out []weightRule
	for _, r := range rls {
		rl := rateLimit(r)
		if unit, ok := rateIntervals[rl.Interval]; ok && rl.RateLimitType == "REQUEST_WEIGHT" && rl.IntervalNum > 0 && rl.Limit > 0 {
			out = append(out, weightRule{limit: int(rl.Limit), window: time.Duration(rl.IntervalNum) * unit})
		}
	}
	return out
}

// Fetch pages forward by startTime through [t.Start, t.End). A short page
// ends the range, except on COIN-M where each request may span at most 200
// days and the next window is tried.
func (s *restSource) Fetch(ctx context.Context, t Task, emit func([]transform.RawKline) error) error {
	limit := s.info.pageLimit
	cursor := t.Start
	for cursor < t.End {
		reqEnd := t.End - 1
		if s.info.maxSpan > 0 {
			reqEnd = min(reqEnd, cursor+s.info.maxSpan.Milliseconds()-1)
		}
		page, err := s.page(ctx, t.Symbol, t.Interval.String(), cursor, reqEnd, limit)
		if err != nil {
			return restError(err)
		}
		if len(page) > 0 {
			if err := emit(page); err != nil {
				return err
			}
		}
		switch {
		case len(page) >= limit:
			next := page[len(page)-1].OpenTime + 1
			if next <= cursor {
				return fmt.Errorf("Binance returned a page that does not advance past %d", cursor)
			}
			cursor = next
		case s.info.maxSpan > 0:
			cursor = reqEnd + 1
		default:
			return nil
		}
	}
	return nil
}

// restError turns go-binance's errors into messages that name Binance's own.
func restError(err error) error {
	var api *common.APIError
	if errors.As(err, &api) {
		if api.IsValid() {
			return fmt.Errorf("Binance rejected the request: %s (code %d)", api.Message, api.Code)
		}
		return fmt.Errorf("Binance rejected the request: %.200s", api.Response)
	}
	var banned *BannedError
	if errors.As(err, &banned) {
		return banned
	}
	return err
}
