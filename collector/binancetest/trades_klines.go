package binancetest

// candle aggregates the trades of [open, next open) with time <= nowMs into
// a kline, as Binance does: open/close are the first/last trade's price,
// volume and quote volume sum the served qty and quote_qty (coinm: base_qty)
// exactly, taker buy sums the trades whose buyer was not the maker. A
// candle without trades repeats the last earlier price with zero volume.
func (g *tradeGen) candle(iv interval, open, nowMs int64) candle {
	next := iv.next(open)
	k := candle{open: open, close: next - 1}
	hiMs := min(next-1, nowMs)
	loUs, hiUs := open*1000, hiMs*1000+999
	for m := max(floorDiv(open, minuteMs), g.listMin); m*minuteMs <= hiMs; m++ {
		ts := g.minute(m)
		for i := range ts {
			t := &ts[i]
			if t.time < loUs {
				continue
			}
			if t.time > hiUs {
				break
			}
			if k.trades == 0 {
				k.o, k.h, k.l = t.price, t.price, t.price
			}
			k.h, k.l, k.c = max(k.h, t.price), min(k.l, t.price), t.price
			k.vol += t.qty
			k.qvol += t.quote
			if !t.buyerMaker {
				k.tbb += t.qty
				k.tbq += t.quote
			}
			k.trades++
		}
	}
	if k.trades == 0 {
		p := g.lastPriceBefore(open)
		k.o, k.h, k.l, k.c = p, p, p, p
	}
	return k
}

// lastPriceBefore is the price of the last trade before openMs; every
// listed minute has a trade, so this looks at two minutes at most. Before
// the first trade it is the first trade's price.
func (g *tradeGen) lastPriceBefore(openMs int64) int64 {
	for m := floorDiv(openMs-1, minuteMs); m >= g.listMin; m-- {
		ts := g.minute(m)
		for i := len(ts) - 1; i >= 0; i-- {
			if ts[i].time < openMs*1000 {
				return ts[i].price
			}
		}
	}
	return g.minute(g.listMin)[0].price
}
