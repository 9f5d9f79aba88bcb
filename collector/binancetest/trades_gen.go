package binancetest

import (
	"math"
)

// Trades are generated minute by minute from a seed, never a day at a time:
// every minute's trade count and aggregate count are "pair" sequences (the
// minutes 2k and 2k+1 deviate from the mean by +d and -d), so the number of
// trades before any minute, and with it the first trade id and first
// aggregate id of that minute, is a closed formula. A minute is a list of
// aggregates (one taker order each: same time, same side, same price) of one
// or more trades; neighbouring aggregates never share side and price, and the
// first and last aggregate of a minute take a side that alternates by
// minute, so applying Binance's aggregation rule to the trades gives back
// exactly these aggregates, also across minute boundaries.

// trade is one generated trade in fixed point (1e-8 units).
type trade struct {
	id         int64
	agg        int64 // aggregate id
	price, qty int64
	quote      int64 // price*qty (spot, usdm) or base_qty (coinm)
	time       int64 // µs; whole ms where the venue publishes ms
	buyerMaker bool
}

// tradeGen generates one (market, symbol)'s trades. It is built per request
// and caches the last generated minute (klines of 1s read one minute 60
// times).
type tradeGen struct {
	market   Market
	ser      *series // the price path, shared with the synthetic klines
	seed     uint64
	listMin  int64 // epoch minute of the listing: ids start at 0 there
	n0, a0   int64 // mean trades and aggregates per minute
	e0       int64 // mean extra trades (n0 - a0)
	gapEvery int64 // futures: id gap before the first trade of every gapEvery-th minute
	gapSize  int64
	pd, qd   int   // price and quantity decimals (tick 10^-pd, step 10^-qd)
	contract int64 // coinm: contract size in USD
	notional float64

	cacheMin int64
	cache    []trade
}

// spotMicrosFromMin is spotMicrosFrom as an epoch minute.
var spotMicrosFromMin = spotMicrosFrom.UnixMilli() / minuteMs

func newTradeGen(m Market, symbol string, perMinute int64, ser *series, listingMs int64, tc *tradesConfig) *tradeGen {
	perMinute = max(perMinute, 1)
	g := &tradeGen{
		market: m, ser: ser, seed: splitmix64(hashString(symbol) ^ specs[m].seed ^ 0x7472616465),
		listMin: floorDiv(listingMs, minuteMs), n0: perMinute, cacheMin: math.MinInt64,
	}
	g.a0 = max(1, int64(math.Round(float64(perMinute)/1.6)))
	g.e0 = perMinute - g.a0
	if m != Spot {
		g.gapEvery, g.gapSize = tc.gapEvery, tc.gapSize
	}
	lg := int(math.Floor(math.Log10(ser.base)))
	switch m {
	case COINM:
		g.pd, g.qd = min(max(5-lg, 1), 7), 0
		g.contract = 10
		if base, _ := splitSymbol(m, symbol); base == "BTC" {
			g.contract = 100
		}
	default:
		g.pd = min(max(6-lg, 2), 7)
		g.qd = 8 - g.pd // price*qty then has at most 8 decimals: quote_qty is exact
	}
	g.notional = 300 // mean quote value of one trade
	return g
}

// pairDev is the deviation of minute pair k for one sequence: |d| <= limit.
func (g *tradeGen) pairDev(tag uint64, k int64, limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	u := unit(splitmix64(g.seed ^ tag ^ uint64(k)*0x9e3779b97f4a7c15))
	return int64(float64(limit) * (2*u - 1) * 0.8)
}

const (
	tagAggs   = 0x61676773
	tagExtras = 0x65787472
)

func (g *tradeGen) devA(k int64) int64 { return g.pairDev(tagAggs, k, g.a0-1) }
func (g *tradeGen) devE(k int64) int64 { return g.pairDev(tagExtras, k, g.e0) }

// pairCount is the value of a pair sequence with mean mean at minute m.
func pairCount(mean, dev, m int64) int64 {
	if m%2 == 0 {
		return mean + dev
	}
	return mean - dev
}

// prefix is the sum of a pair sequence over minutes [0, x).
func prefix(mean int64, dev func(int64) int64, x int64) int64 {
	s := mean * x
	if x%2 != 0 {
		s += dev(x / 2) // minute x-1 = 2k opens an unfinished pair
	}
	return s
}

func (g *tradeGen) aggsIn(m int64) int64 { return pairCount(g.a0, g.devA(m/2), m) }
func (g *tradeGen) tradesIn(m int64) int64 {
	return g.aggsIn(m) + pairCount(g.e0, g.devE(m/2), m)
}

// gapsThrough counts id gaps in minutes (listMin, m].
func (g *tradeGen) gapsThrough(m int64) int64 {
	if g.gapEvery <= 0 || m <= g.listMin {
		return 0
	}
	return g.gapSize * (m/g.gapEvery - g.listMin/g.gapEvery)
}

// firstID is the id of minute m's first trade (m >= listMin).
func (g *tradeGen) firstID(m int64) int64 {
	n := prefix(g.n0, func(k int64) int64 { return g.devA(k) + g.devE(k) }, m) -
		prefix(g.n0, func(k int64) int64 { return g.devA(k) + g.devE(k) }, g.listMin)
	return n + g.gapsThrough(m)
}

// firstAgg is the id of minute m's first aggregate (m >= listMin).
func (g *tradeGen) firstAgg(m int64) int64 {
	return prefix(g.a0, g.devA, m) - prefix(g.a0, g.devA, g.listMin)
}

// minuteOf finds the minute in [listMin, hi] holding trade id (or aggregate
// id, if agg): the last minute whose first id is <= id.
func (g *tradeGen) minuteOf(id int64, agg bool, hi int64) int64 {
	first := g.firstID
	if agg {
		first = g.firstAgg
	}
	lo := g.listMin
	if hi < lo || id <= 0 {
		return lo
	}
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if first(mid) <= id {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// msEra reports whether minute m's trade times are whole milliseconds:
// futures always, spot before 2025 (its archive was ms then).
func (g *tradeGen) msEra(m int64) bool { return g.market != Spot || m < spotMicrosFromMin }

// tick and step in fixed units.
func (g *tradeGen) tick() int64 { return pow10[8-g.pd] }
func (g *tradeGen) step() int64 { return pow10[8-g.qd] }

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// minute returns minute m's trades in id order (nil before the listing).
// The slice is cached and must not be modified.
func (g *tradeGen) minute(m int64) []trade {
	if m < g.listMin {
		return nil
	}
	if m == g.cacheMin {
		return g.cache
	}
	nAggs, nTrades := g.aggsIn(m), g.tradesIn(m)
	h := splitmix64(g.seed ^ uint64(m)*0xd1b54a32d192ed03)
	sizes := make([]int32, nAggs)
	r := h
	for i := int64(0); i < nTrades-nAggs; i++ {
		r = splitmix64(r)
		sizes[r%uint64(nAggs)]++
	}
	out := make([]trade, 0, nTrades) // fresh: callers may still hold the previous minute
	id, agg := g.firstID(m), g.firstAgg(m)
	edgeSide := m%2 == 0 // first and last aggregate: alternates by minute
	startUs := m * minuteMs * 1000
	tick, step := g.tick(), g.step()
	var prevPrice int64
	var prevSide bool
	for j := int64(0); j < nAggs; j++ {
		r = splitmix64(h ^ uint64(j+1)*0xa0761d6478bd642f)
		t := startUs + int64((float64(j)+unit(r))*6e7/float64(nAggs))
		if g.msEra(m) {
			t -= t % 1000
		}
		side := r&1 == 1
		if j == 0 || j == nAggs-1 {
			side = edgeSide
		}
		p := g.ser.price(t / 1000)
		if side {
			p *= 0.99995 // the taker sold into the bid
		} else {
			p *= 1.00005
		}
		price := max(toFixed(p)/tick*tick, tick)
		if j > 0 && price == prevPrice && side == prevSide {
			price += tick // never merge with the previous aggregate
		}
		prevPrice, prevSide = price, side
		for k := int32(0); k <= sizes[j]; k++ {
			r = splitmix64(r)
			tr := trade{id: id, agg: agg, price: price, time: t, buyerMaker: side}
			g.fillQty(&tr, unit(r), tick, step)
			out = append(out, tr)
			id++
		}
		agg++
	}
	g.cacheMin, g.cache = m, out
	return out
}

// fillQty sets qty and quote from a uniform draw u: trade sizes are skewed,
// most small, a few large.
func (g *tradeGen) fillQty(tr *trade, u float64, tick, step int64) {
	size := 0.05 + 3*u*u*u
	if g.market == COINM {
		contracts := 1 + int64(size*10)
		tr.qty = contracts * 1e8
		tr.quote = int64(math.Round(float64(contracts*g.contract) * 1e16 / float64(tr.price)))
		return
	}
	steps := max(1, int64(g.notional*size/(float64(tr.price)/1e8)*float64(pow10[g.qd])))
	tr.qty = steps * step
	// price*qty in 1e-8 units, exact: tick*step = 10^(16-pd-qd) >= 1e8.
	tr.quote = (tr.price / tick) * steps * pow10[8-g.pd-g.qd]
}

// aggTrade is one aggregate built from consecutive trades.
type aggTrade struct {
	id, first, last int64
	price, qty      int64
	time            int64 // µs, the time of its first trade
	buyerMaker      bool
}

// aggregate groups trades by their aggregate id; callers pass whole
// aggregates (a minute never splits one).
func aggregate(ts []trade, out []aggTrade) []aggTrade {
	for i := range ts {
		t := &ts[i]
		if n := len(out); n > 0 && out[n-1].id == t.agg {
			out[n-1].last = t.id
			out[n-1].qty += t.qty
			continue
		}
		out = append(out, aggTrade{id: t.agg, first: t.id, last: t.id, price: t.price, qty: t.qty, time: t.time, buyerMaker: t.buyerMaker})
	}
	return out
}
