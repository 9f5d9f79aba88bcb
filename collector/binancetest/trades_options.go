package binancetest

import (
	"maps"
	"time"
)

// tradesConfig holds the trade options.
type tradesConfig struct {
	perMinute  map[Market]map[string]int64 // symbols with trades and their density
	gapEvery   int64                       // futures id gaps, see WithTradeIDGaps
	gapSize    int64
	headerFrom time.Time      // futures trade CSVs from this date on start with a header
	retention  time.Duration  // futures aggTrades served by REST
	zipDir     *tradeZipFiles // zips built once into files (WithTradesZipDir); nil: generated per request
}

// Binance's futures trade and aggTrades CSVs carry a header row from
// 2022-08-11 on; futures REST aggTrades serve the last year.
var (
	defaultTradesHeaderFrom = time.Date(2022, 8, 11, 0, 0, 0, 0, time.UTC)
	defaultTradesRetention  = 365 * 24 * time.Hour
)

// DefaultTradesPerMinute is the density WithTrades uses for perMinute <= 0.
const DefaultTradesPerMinute = 60

func defaultTradesConfig() tradesConfig {
	return tradesConfig{
		perMinute:  map[Market]map[string]int64{},
		gapEvery:   360, // one gap every six hours
		gapSize:    3,
		headerFrom: defaultTradesHeaderFrom,
		retention:  defaultTradesRetention,
	}
}

// WithTrades gives symbols of market m trades and aggregate trades, about
// perMinute trades a minute on average (<= 0: DefaultTradesPerMinute; the
// count varies per minute, never below one). Their klines, on every
// interval, become exact aggregates of those trades, and the trades archive
// and REST endpoints serve them. The symbols must also be listed (defaults or
// WithSymbols); WithGap does not apply to their trades, so do not combine
// the two. Repeating WithTrades adds symbols or changes their density.
//
// Generation costs about 0.1-0.2 µs per trade: 60 a minute is ~86k trades a
// day; 5000 a minute makes a 7.2M-row daily file (several seconds per pass).
func WithTrades(m Market, perMinute int, symbols ...string) Option {
	mustMarket(m)
	if perMinute <= 0 {
		perMinute = DefaultTradesPerMinute
	}
	syms := append([]string(nil), symbols...)
	return func(c *config) {
		cur := maps.Clone(c.trades.perMinute[m])
		if cur == nil {
			cur = map[string]int64{}
		}
		for _, s := range syms {
			cur[s] = int64(perMinute)
		}
		c.trades.perMinute[m] = cur
	}
}

// WithTradeIDGaps sets the futures trade id gaps (Binance's futures trade
// ids skip values while the data is complete): size ids are skipped before
// the first trade of every minute whose epoch-minute number is a multiple
// of everyMinutes. Default: 3 ids every 360 minutes; everyMinutes <= 0 or
// size <= 0 turns gaps off. Aggregates never span a gap, so the agg_trades
// chain (first_trade_id = previous last_trade_id + 1) breaks at the same
// place. Spot ids never have gaps.
func WithTradeIDGaps(everyMinutes, size int) Option {
	return func(c *config) {
		if everyMinutes <= 0 || size <= 0 {
			everyMinutes, size = 0, 0
		}
		c.trades.gapEvery, c.trades.gapSize = int64(everyMinutes), int64(size)
	}
}

// WithTradesArchiveHeaderFrom sets the first file date whose futures trades
// and aggTrades CSVs start with a header row (default 2022-08-11). Spot
// trade CSVs never have one.
func WithTradesArchiveHeaderFrom(t time.Time) Option {
	return func(c *config) { c.trades.headerFrom = t }
}

// WithFuturesAggTradesRetention sets how far back futures REST aggTrades
// reach (Binance documents one year, the default): older aggregates are
// not served, whether asked by fromId or by startTime.
func WithFuturesAggTradesRetention(d time.Duration) Option {
	return func(c *config) { c.trades.retention = d }
}

// tradeGen returns the generator of m/symbol, or nil when it has no trades.
func (s *Server) tradeGen(m Market, symbol string, ser *series) *tradeGen {
	n, ok := s.cfg.trades.perMinute[m][symbol]
	listing, listed := s.cfg.symbols[m][symbol]
	if !ok || !listed {
		return nil
	}
	if ser == nil {
		ser = newSeries(m, symbol, intervals["1m"], listing.UnixMilli(), nil)
	}
	return newTradeGen(m, symbol, n, ser, listing.UnixMilli(), &s.cfg.trades)
}
