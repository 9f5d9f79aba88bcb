package binancetest

import (
	"strings"
	"time"
)

// Market selects one of Binance's three kline APIs. Each has its own base
// path, limits and weight counter, exactly as on the real exchange.
type Market string

// The three markets served by the fake.
const (
	Spot  Market = "spot"
	USDM  Market = "usdm"
	COINM Market = "coinm"
)

// markets lists them in a fixed order so iteration is deterministic.
var markets = []Market{Spot, USDM, COINM}

// marketSpec holds the per-market constants from Binance's documentation.
type marketSpec struct {
	prefix         string // path prefix, e.g. "/api/v3"
	weightLimit    int    // default REQUEST_WEIGHT per minute
	maxLimit       int    // largest accepted klines limit
	allows1s       bool   // only spot serves 1s candles
	maxSpanMs      int64  // max endTime-startTime (COIN-M only), 0 = unlimited
	infoWeight     int    // exchangeInfo weight
	seed           uint64 // perturbs generated data so markets differ slightly
	defaultSymbols []string
}

const dayMs = int64(24 * time.Hour / time.Millisecond)

var specs = map[Market]*marketSpec{
	Spot: {
		prefix: "/api/v3", weightLimit: 6000, maxLimit: 1000, allows1s: true,
		infoWeight: 20, seed: 0x5370_6f74,
		defaultSymbols: []string{"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"},
	},
	USDM: {
		prefix: "/fapi/v1", weightLimit: 2400, maxLimit: 1500,
		infoWeight: 1, seed: 0x5553_444d,
		defaultSymbols: []string{"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"},
	},
	COINM: {
		prefix: "/dapi/v1", weightLimit: 2400, maxLimit: 1500, maxSpanMs: 200 * dayMs,
		infoWeight: 1, seed: 0x434f_494e,
		defaultSymbols: []string{"BTCUSD_PERP", "ETHUSD_PERP"},
	},
}

// DefaultListing is when Binance spot opened; good enough for every default
// symbol (and fakebinance --spot-symbols) and keeps the defaults simple.
var DefaultListing = time.Date(2017, 8, 17, 0, 0, 0, 0, time.UTC)

// klinesWeight is the documented request weight of a klines call. Spot is a
// flat 2; futures scale with the requested limit.
func (m *marketSpec) klinesWeight(limit int) int {
	if m.allows1s { // spot
		return 2
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
}

// quoteSuffixes are tried longest first so "FDUSD" wins over "USD".
var quoteSuffixes = []string{"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY"}

// splitSymbol guesses base and quote assets for exchangeInfo and for picking a
// realistic base price. COIN-M symbols look like BTCUSD_PERP or BTCUSD_240628.
func splitSymbol(m Market, symbol string) (base, quote string) {
	if m == COINM {
		pair, _, _ := strings.Cut(symbol, "_")
		if b, ok := strings.CutSuffix(pair, "USD"); ok && b != "" {
			return b, "USD"
		}
		return pair, "USD"
	}
	for _, q := range quoteSuffixes {
		if b, ok := strings.CutSuffix(symbol, q); ok && b != "" {
			return b, q
		}
	}
	return symbol, ""
}
