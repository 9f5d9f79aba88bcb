// Package collector plans kline tasks and runs them: a source (Binance
// REST) feeds transform, whose batches are merged and written to a sink.
package collector

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Market is a Binance market: spot, USD-M futures or COIN-M futures.
type Market string

const (
	Spot  Market = "spot"
	USDM  Market = "usdm"
	COINM Market = "coinm"
)

// Markets lists the supported markets.
var Markets = []Market{Spot, USDM, COINM}

// marketInfo is what differs between the three REST APIs.
type marketInfo struct {
	baseURL      string        // production REST base URL
	klinesPath   string        // kline endpoint
	pageLimit    int           // candles per request we ask for
	defaultLimit int           // REQUEST_WEIGHT per minute when exchangeInfo is unavailable
	maxSpan      time.Duration // longest startTime..endTime window, 0 = unlimited
}

// Futures page size: weight is 1 below 100, 2 below 500, 5 up to 1000 and
// 10 above, so 499 candles per request give the most candles per unit of
// weight (250 vs 150 with 1500), the politest choice for a backfill.
var markets = map[Market]marketInfo{
	Spot:  {baseURL: "https://api.binance.com", klinesPath: "/api/v3/klines", pageLimit: 1000, defaultLimit: 6000},
	USDM:  {baseURL: "https://fapi.binance.com", klinesPath: "/fapi/v1/klines", pageLimit: 499, defaultLimit: 2400},
	COINM: {baseURL: "https://dapi.binance.com", klinesPath: "/dapi/v1/klines", pageLimit: 499, defaultLimit: 2400, maxSpan: 200 * 24 * time.Hour},
}

// ParseMarket accepts spot, usdm or coinm (case-insensitive).
func ParseMarket(s string) (Market, error) {
	m := Market(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := markets[m]; ok {
		return m, nil
	}
	return "", fmt.Errorf("unknown market %q: allowed are spot, usdm, coinm", s)
}

// DefaultBaseURL is Binance's production REST URL for the market.
func (m Market) DefaultBaseURL() string { return markets[m].baseURL }

// KlinesPath is the market's kline endpoint.
func (m Market) KlinesPath() string { return markets[m].klinesPath }

var symbolRE = regexp.MustCompile(`^[A-Z0-9_]{2,32}$`)

// ParseSymbol upper-cases s and checks it looks like a Binance symbol:
// upper-case letters, digits and '_' (BTCUSDT, BTCUSD_PERP).
func ParseSymbol(s string) (string, error) {
	sym := strings.ToUpper(strings.TrimSpace(s))
	if !symbolRE.MatchString(sym) {
		return "", fmt.Errorf("malformed symbol %q: use Binance symbols of letters, digits and '_', e.g. BTCUSDT or BTCUSD_PERP", s)
	}
	return sym, nil
}

// ParseBaseURL checks an http(s) base URL given by the user. Credentials
// (user:password@) are refused: Binance needs none, and a URL is echoed in
// logs, summaries, spans and Go's own errors (url.Error), where a password
// would leak.
func ParseBaseURL(flag, s string) (string, error) {
	if shown, ok := RedactUserinfo(s); ok {
		return "", fmt.Errorf("bad URL %q for %s: credentials in the URL are refused (Binance needs none)", shown, flag)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("bad URL %q for %s: want http:// or https:// with a host", s, flag)
	}
	return strings.TrimRight(s, "/"), nil
}

// RedactUserinfo returns s with everything between the scheme and the last
// '@' replaced by <redacted>, and whether s had such a part. It works on
// text, not on url.Parse's result, so a password that makes the URL
// unparsable ("https://u:p#ss@host") is hidden too; for the base URLs and
// endpoints it is used on, any '@' means credentials.
func RedactUserinfo(s string) (string, bool) {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s, false
	}
	start := 0
	if i := strings.Index(s[:at], "://"); i >= 0 {
		start = i + len("://")
	}
	return s[:start] + "<redacted>" + s[at:], true
}

// requestWeight is Binance's REQUEST_WEIGHT of a GET on path with query q.
func requestWeight(path string, q url.Values) int {
	switch {
	case path == "/api/v3/klines" || path == "/api/v3/uiKlines":
		return 2
	case strings.HasSuffix(path, "/klines"):
		limit := 500
		if v, err := strconv.Atoi(q.Get("limit")); err == nil {
			limit = v
		}
		switch {
		case limit < 100:
			return 1
		case limit < 500:
			return 2
		case limit <= 1000:
			return 5
		default:
			return 10
		}
	case path == "/api/v3/exchangeInfo":
		return 20
	case path == "/api/v3/historicalTrades":
		return 25
	case path == "/api/v3/aggTrades":
		return 4
	case path == "/fapi/v1/aggTrades" || path == "/dapi/v1/aggTrades":
		return 20
	case strings.HasSuffix(path, "/fundingRate"):
		return 1 // and its own limit: endpointLimits (ratelimit.go)
	default:
		return 1
	}
}

// bucketOf names the weight counter a request path draws on.
func bucketOf(host, path string) string {
	switch {
	case strings.HasPrefix(path, "/fapi/"):
		return host + " usdm"
	case strings.HasPrefix(path, "/dapi/"):
		return host + " coinm"
	default:
		return host + " spot"
	}
}
