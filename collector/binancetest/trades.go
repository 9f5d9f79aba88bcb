package binancetest

import (
	"slices"
	"strconv"
	"time"
)

// Trade is one trade as the fake serves it. Decimals are formatted as the
// market sends them (spot: 8 decimals; futures: the symbol's tick and step
// decimals). Time is in microseconds; where Binance publishes milliseconds
// (futures, spot before 2025) it is a whole millisecond.
type Trade struct {
	ID           int64
	Price, Qty   string
	QuoteQty     string // price*qty exactly; coin-M: base_qty (qty*contract size/price, 8 decimals)
	Time         int64  // µs
	IsBuyerMaker bool
	IsBestMatch  bool // spot only (always true there)
}

// AggTrade is one aggregate trade: consecutive trades with the same price,
// the same taker side and the same time (futures: within 100 ms; the fake
// never spreads one over more than one instant), Time being its first
// trade's.
type AggTrade struct {
	ID                        int64
	Price, Qty                string
	FirstTradeID, LastTradeID int64
	Time                      int64 // µs
	IsBuyerMaker              bool
	IsBestMatch               bool // spot only
}

// Trades returns the trades of m/symbol with time in [start, end) that have
// happened by the data clock, in id order; nil if the symbol has no trades
// (WithTrades). Use it as the expected value in assertions.
func (s *Server) Trades(m Market, symbol string, start, end time.Time) []Trade {
	g := s.tradeGen(m, symbol, nil)
	if g == nil {
		return nil
	}
	var out []Trade
	g.eachMinute(start, end, s.cfg.now(), func(ts []trade, lo, hi int64) {
		for i := range ts {
			if ts[i].time >= lo && ts[i].time < hi {
				out = append(out, g.exportTrade(&ts[i]))
			}
		}
	})
	return out
}

// AggTrades returns the aggregate trades of m/symbol with time in
// [start, end) that have happened by the data clock; nil if the symbol has
// no trades.
func (s *Server) AggTrades(m Market, symbol string, start, end time.Time) []AggTrade {
	g := s.tradeGen(m, symbol, nil)
	if g == nil {
		return nil
	}
	var out []AggTrade
	g.eachMinute(start, end, s.cfg.now(), func(ts []trade, lo, hi int64) {
		for _, a := range aggregate(ts, nil) {
			if a.time >= lo && a.time < hi {
				out = append(out, g.exportAgg(&a))
			}
		}
	})
	return out
}

// TradeIDAt returns the id of the first trade of m/symbol at or after t
// (whether it has happened yet or not), and false for a symbol without
// trades. Tests use it to find where a day's ids start.
func (s *Server) TradeIDAt(m Market, symbol string, t time.Time) (int64, bool) {
	g := s.tradeGen(m, symbol, nil)
	if g == nil {
		return 0, false
	}
	us := t.UnixMicro()
	for mi := max(floorDiv(us, 6e7), g.listMin); ; mi++ {
		for _, tr := range g.minute(mi) {
			if tr.time >= us {
				return tr.id, true
			}
		}
	}
}

// eachMinute calls fn with every minute's trades overlapping [start, end)
// and the data clock's now, plus that range in µs (hi exclusive).
func (g *tradeGen) eachMinute(start, end, now time.Time, fn func(ts []trade, lo, hi int64)) {
	lo, hi := start.UnixMicro(), min(end.UnixMicro(), now.UnixMicro()+1)
	for m := max(floorDiv(lo, 6e7), g.listMin); m*6e7 < hi; m++ {
		fn(g.minute(m), lo, hi)
	}
}

// appendDec formats a fixed-point value with the given number of decimals
// (<= 8; the value must be a multiple of 10^(8-decimals) units).
func appendDec(b []byte, v int64, decimals int) []byte {
	if decimals == 8 {
		return appendFixed(b, v)
	}
	v /= pow10[8-decimals]
	b = strconv.AppendInt(b, v/pow10[decimals], 10)
	if decimals == 0 {
		return b
	}
	frac := strconv.AppendInt(make([]byte, 0, 8), v%pow10[decimals]+pow10[decimals], 10)
	return append(append(b, '.'), frac[1:]...)
}

// Spot sends every decimal with 8 places; futures with the symbol's own.
func (g *tradeGen) appendPrice(b []byte, v int64) []byte {
	if g.market == Spot {
		return appendFixed(b, v)
	}
	return appendDec(b, v, g.pd)
}

func (g *tradeGen) appendQty(b []byte, v int64) []byte {
	if g.market == Spot {
		return appendFixed(b, v)
	}
	return appendDec(b, v, g.qd)
}

func (g *tradeGen) appendQuote(b []byte, v int64) []byte {
	if g.market == Spot || g.market == COINM {
		return appendFixed(b, v)
	}
	return appendDec(b, v, g.pd+g.qd)
}

func (g *tradeGen) exportTrade(t *trade) Trade {
	var b []byte
	return Trade{
		ID:           t.id,
		Price:        string(g.appendPrice(b, t.price)),
		Qty:          string(g.appendQty(b, t.qty)),
		QuoteQty:     string(g.appendQuote(b, t.quote)),
		Time:         t.time,
		IsBuyerMaker: t.buyerMaker,
		IsBestMatch:  g.market == Spot,
	}
}

func (g *tradeGen) exportAgg(a *aggTrade) AggTrade {
	var b []byte
	return AggTrade{
		ID: a.id, FirstTradeID: a.first, LastTradeID: a.last,
		Price: string(g.appendPrice(b, a.price)), Qty: string(g.appendQty(b, a.qty)),
		Time: a.time, IsBuyerMaker: a.buyerMaker, IsBestMatch: g.market == Spot,
	}
}

// walkForward appends rows from minute m0 on, in order, while keep says 0
// (take) or -1 (skip), until limit rows or keep says 1 (stop) or past hiMin.
func walkForward[T any](rows func(int64) []T, m0, hiMin int64, limit int, keep func(*T) int) []T {
	out := make([]T, 0, min(limit, 1024))
	for m := m0; m <= hiMin && len(out) < limit; m++ {
		rs := rows(m)
		for i := range rs {
			switch keep(&rs[i]) {
			case 1:
				return out
			case 0:
				if out = append(out, rs[i]); len(out) == limit {
					return out
				}
			}
		}
	}
	return out
}

// walkBackward collects the last limit rows that keep accepts (0), from
// minute hiMin down to loMin, returned in ascending order.
func walkBackward[T any](rows func(int64) []T, loMin, hiMin int64, limit int, keep func(*T) int) []T {
	out := make([]T, 0, min(limit, 1024))
	for m := hiMin; m >= loMin && len(out) < limit; m-- {
		rs := rows(m)
		for i := len(rs) - 1; i >= 0 && len(out) < limit; i-- {
			if keep(&rs[i]) == 0 {
				out = append(out, rs[i])
			}
		}
	}
	slices.Reverse(out)
	return out
}
