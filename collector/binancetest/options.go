package binancetest

import (
	"fmt"
	"maps"
	"time"
)

// Option configures a Server at construction.
type Option func(*config)

// gap is a maintenance window [from, to) in ms: no candle opens inside it.
type gap struct{ from, to int64 }

type config struct {
	now      func() time.Time // data clock
	wall     func() time.Time // weight windows; unexported so only tests swap it
	symbols  map[Market]map[string]time.Time
	limits   map[Market]int
	window   time.Duration
	gaps     map[Market]map[string][]gap
	banAfter int
	archive  archiveConfig
	zipCache int // built zips kept
	trades   tradesConfig
}

func defaultConfig() config {
	c := config{
		now:      time.Now,
		wall:     time.Now,
		symbols:  map[Market]map[string]time.Time{},
		limits:   map[Market]int{},
		window:   time.Minute,
		gaps:     map[Market]map[string][]gap{},
		archive:  archiveConfig{headerFrom: defaultHeaderFrom},
		zipCache: DefaultZipCache,
		trades:   defaultTradesConfig(),
	}
	for _, m := range markets {
		syms := map[string]time.Time{}
		for _, s := range specs[m].defaultSymbols {
			syms[s] = DefaultListing
		}
		c.symbols[m] = syms
		c.limits[m] = specs[m].weightLimit
		c.gaps[m] = map[string][]gap{}
	}
	return c
}

// mustMarket turns a typo in a test's options into an immediate, clear panic
// instead of a silently ignored setting.
func mustMarket(m Market) {
	if _, ok := specs[m]; !ok {
		panic(fmt.Sprintf("binancetest: unknown market %q (want spot, usdm or coinm)", m))
	}
}

// WithZipCache sets how many built archive zips the fake keeps (default
// 16). Building a month of 1m candles costs a quarter of a second; a
// benchmark that reads many files more than once keeps them all.
func WithZipCache(n int) Option {
	return func(c *config) { c.zipCache = max(n, 1) }
}

// WithClock sets the data clock (default time.Now). It decides which candle
// is still open, that no candle opens after now, and the reported
// serverTime. Weight windows deliberately keep using the wall clock.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// withWallClock replaces the clock behind weight windows; tests use it to
// make window boundaries and Retry-After values exact.
func withWallClock(now func() time.Time) Option {
	return func(c *config) { c.wall = now }
}

// WithSymbols replaces the symbols of market m. Each value is the listing
// time: the first candle of every interval is the one containing it, as on
// Binance (a symbol listed mid-month still has that month's 1M candle).
func WithSymbols(m Market, symbols map[string]time.Time) Option {
	mustMarket(m)
	cp := maps.Clone(symbols)
	return func(c *config) { c.symbols[m] = cp }
}

// WithWeightLimit sets the REQUEST_WEIGHT limit per window of market m.
func WithWeightLimit(m Market, perWindow int) Option {
	mustMarket(m)
	return func(c *config) { c.limits[m] = perWindow }
}

// WithWindow sets the weight window length (default one minute). Windows stay
// aligned to wall-clock multiples of d. The header name keeps Binance's "-1M"
// suffix whatever d is.
func WithWindow(d time.Duration) Option {
	if d <= 0 {
		panic("binancetest: WithWindow needs a positive duration")
	}
	return func(c *config) { c.window = d }
}

// WithGap adds a maintenance gap: no candle of any interval whose open time
// lies in [from, to) exists for symbol on market m. Gaps may be repeated.
func WithGap(m Market, symbol string, from, to time.Time) Option {
	mustMarket(m)
	g := gap{from.UnixMilli(), to.UnixMilli()}
	return func(c *config) { c.gaps[m][symbol] = append(c.gaps[m][symbol], g) }
}

// WithBanAfter429 makes the fake escalate like Binance: once a market has
// answered 429 with a Retry-After, requests arriving before that time count
// as ignoring it, and the (n+1)-th such request gets 418 (IP ban) together
// with every later request to that market for twice the window length
// (120 s by default). n = 0 (the default) never bans automatically.
func WithBanAfter429(n int) Option {
	return func(c *config) { c.banAfter = n }
}
