// Package binancetest is an in-process fake of Binance's public REST kline
// and trade API (spot /api/v3, USD-M futures /fapi/v1, COIN-M futures /dapi/v1), built
// on net/http/httptest so that tests of the kline downloader never reach the
// internet.
//
// It follows Binance's documented behaviour rather than any particular
// client: the same paths, query parameters, paging rules, error codes, weight
// accounting headers and 429/418 answers. Candle values are synthetic but
// deterministic: every value is a pure function of (market, symbol, interval,
// open time), so the same candle is identical no matter how it is paged, and
// Server.Klines returns exactly what the HTTP API serves.
//
// Two clocks are involved, on purpose:
//
//   - The data clock (WithClock, default time.Now) decides which candle is
//     still open, what /time and exchangeInfo report as serverTime, and that
//     no candle opens after "now". Tests usually pin it for determinism.
//   - The weight windows always use the real wall clock, aligned like
//     Binance's UTC minutes (window id = now.UnixNano()/window). A pinned data
//     clock therefore never freezes the rate limiter, and Retry-After values
//     are real seconds a client can actually sleep.
//
// Scripted faults (Inject) let tests reproduce 429/418/5xx answers, slow
// responses, dropped connections and truncated bodies deterministically.
//
// A caveat for Drop: Go's http.Transport transparently retries an idempotent
// GET whose reused keep-alive connection closes before any response byte, so
// a client may never observe a single dropped connection. Use a transport with
// keep-alives disabled (or inject several drops) to see it.
//
// Trades and aggregate trades (WithTrades) are served for chosen symbols:
// spot GET /api/v3/historicalTrades (weight 25) and /api/v3/aggTrades
// (weight 4), futures /fapi/v1/aggTrades and /dapi/v1/aggTrades (weight 20),
// with Binance's parameters, limits (1000, windows under an hour, futures
// retention), JSON field names and the spot X-MBX-TIME-UNIT: MICROSECOND
// header; and the data.binance.vision trades and aggTrades archive
// (TradesArchivePath) in Binance's CSV dialects per market and era, streamed
// with Range/ETag support and InjectArchiveCut for dropped downloads.
// Trades are generated minute by minute from a seed (ids +1, futures with
// WithTradeIDGaps gaps; times in µs, whole ms where Binance publishes ms),
// aggregates follow Binance's rule (same price, taker side and time), and
// every kline of such a symbol is the exact aggregate of its trades.
// Server.Trades, Server.AggTrades and Server.TradeIDAt give the expected
// values for assertions; WithTrades' density makes files as big as needed.
//
// All methods are safe for concurrent use.
package binancetest
