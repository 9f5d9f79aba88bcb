package binancetest

import (
	"hash/fnv"
	"math"
)

// candle holds one kline in fixed point (units of 1e-8) so the OHLC and
// volume invariants can be enforced exactly before formatting; float
// rounding could otherwise put a low a hair above an open.
type candle struct {
	open, close         int64 // open time and close time, ms
	o, h, l, c          int64
	vol, qvol, tbb, tbq int64
	trades              int64
}

const (
	fixedScale = 1e8
	maxFixed   = int64(9e18) // keep every value inside int64
	twoPi      = 2 * math.Pi
)

// Periods of the smooth price path, as angular frequency per ms: a slow
// yearly-ish swing, a few-weeks wave and an intraday wiggle.
var (
	w1 = twoPi / float64(400*dayMs)
	w2 = twoPi / float64(23*dayMs)
	w3 = twoPi / float64(17*60*minuteMs)
)

// series is everything needed to generate candles of one (market, symbol,
// interval); it is built per request and then read-only.
type series struct {
	iv         interval
	first      int64 // open time of the first candle (the one containing the listing)
	gaps       []gap
	base       float64 // typical price
	notional   float64 // typical quote volume per minute
	ph1, ph2   float64 // phases of the smooth path, per symbol
	ph3        float64
	noiseSeed  uint64    // per market+symbol, shared by all intervals
	candleSeed uint64    // per market+symbol+interval
	tg         *tradeGen // set for symbols with trades: candles aggregate them
}

// splitmix64 is a tiny, well-mixed hash; plenty for synthetic market data.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func newSeries(m Market, symbol string, iv interval, listing int64, gaps []gap) *series {
	sym := hashString(symbol)
	base, _ := splitSymbol(m, symbol)
	g := &series{
		iv: iv, first: iv.floor(listing), gaps: gaps,
		ph1: twoPi * unit(splitmix64(sym^1)), ph2: twoPi * unit(splitmix64(sym^2)),
		ph3:        twoPi * unit(splitmix64(sym^3)),
		noiseSeed:  splitmix64(sym ^ specs[m].seed),
		candleSeed: splitmix64(sym ^ specs[m].seed ^ hashString(iv.name)<<1),
	}
	switch base {
	case "BTC":
		g.base, g.notional = 60000, 3e5
	case "ETH":
		g.base, g.notional = 3000, 1.5e5
	default:
		g.base, g.notional = 1+499*unit(splitmix64(sym^4)), 2e4
	}
	return g
}

// price is the "trade price" at instant t. It depends only on market, symbol
// and t, never on the interval, so a candle's close equals the next candle's
// open and coarse candles agree with fine ones at their boundaries.
func (g *series) price(t int64) float64 {
	x := float64(t)
	v := 0.25*math.Sin(x*w1+g.ph1) + 0.08*math.Sin(x*w2+g.ph2) + 0.015*math.Sin(x*w3+g.ph3)
	n := unit(splitmix64(g.noiseSeed^uint64(t))) - 0.5
	return g.base * math.Exp(v) * (1 + 0.002*n)
}

func toFixed(v float64) int64 {
	f := math.Round(v * fixedScale)
	switch {
	case !(f >= 1): // also catches NaN
		return 1
	case f > float64(maxFixed):
		return maxFixed
	}
	return int64(f)
}

// build derives a candle from its open/close prices and a per-candle hash h;
// frac (0,1] scales volumes for the still-open candle.
func (g *series) build(o, c float64, h uint64, frac float64, openMs int64) candle {
	next := g.iv.next(openMs)
	mins := float64(next-openMs) / float64(minuteMs)
	u1, u2, u3 := unit(h), unit(splitmix64(h^1)), unit(splitmix64(h^2))
	u4, u5, u6 := unit(splitmix64(h^3)), unit(splitmix64(h^4)), unit(splitmix64(h^5))
	rng := math.Min(0.0008*math.Sqrt(mins*frac), 0.25)
	hi := math.Max(o, c) * (1 + rng*u1)
	lo := math.Min(o, c) * (1 - rng*u2)
	notional := g.notional * mins * frac * (0.5 + u3)
	vwap := lo + (hi-lo)*u4
	k := candle{open: openMs, close: next - 1}
	k.o, k.c, k.h, k.l = toFixed(o), toFixed(c), toFixed(hi), toFixed(lo)
	k.h = max(k.h, k.o, k.c)
	k.l = min(k.l, k.o, k.c)
	k.vol, k.qvol = toFixed(notional/vwap), toFixed(notional)
	share := 0.3 + 0.4*u5 // taker buy share, < 1 so taker <= total
	k.tbb = min(int64(float64(k.vol)*share), k.vol)
	k.tbq = min(int64(float64(k.qvol)*share), k.qvol)
	k.trades = 1 + int64(notional/(150+300*u6))
	return k
}

// closed generates the finished candle opening at open.
func (g *series) closed(open int64) candle {
	if g.tg != nil {
		return g.tg.candle(g.iv, open, math.MaxInt64)
	}
	h := splitmix64(g.candleSeed ^ uint64(open))
	return g.build(g.price(open), g.price(g.iv.next(open)), h, 1, open)
}

// partial generates the still-open candle as seen at nowMs: close is the
// price at now, ranges and volumes come from a different seed and shrink with
// the elapsed fraction. Deterministic for a given (candle, now).
func (g *series) partial(open, nowMs int64) candle {
	if g.tg != nil {
		return g.tg.candle(g.iv, open, nowMs)
	}
	next := g.iv.next(open)
	frac := math.Max(float64(nowMs-open+1)/float64(next-open), 1e-6)
	h := splitmix64(g.candleSeed ^ uint64(open) ^ 0x6f70656e)
	return g.build(g.price(open), g.price(nowMs), h, math.Min(frac, 1), open)
}
