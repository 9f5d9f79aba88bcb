package binancetest

import "slices"

// This file decides WHICH candles exist and which a request selects; the
// values themselves come from generate.go.

// gapEnd reports whether open lies in a maintenance gap and, if so, where
// that gap ends.
func (g *series) gapEnd(open int64) (int64, bool) {
	for _, gp := range g.gaps {
		if open >= gp.from && open < gp.to {
			return gp.to, true
		}
	}
	return 0, false
}

// gapStart is gapEnd's mirror for walking backwards.
func (g *series) gapStart(open int64) (int64, bool) {
	for _, gp := range g.gaps {
		if open >= gp.from && open < gp.to {
			return gp.from, true
		}
	}
	return 0, false
}

// forward appends the existing open times in [from, to], ascending, until
// limit (limit < 0 means unbounded). Gaps are skipped wholesale, so a long
// maintenance window costs one step, not one per missing candle.
func (g *series) forward(from, to int64, limit int, out []int64) []int64 {
	t := g.iv.ceil(max(from, g.first))
	for t <= to && (limit < 0 || len(out) < limit) {
		if end, in := g.gapEnd(t); in {
			t = g.iv.ceil(end)
			continue
		}
		out = append(out, t)
		t = g.iv.next(t)
	}
	return out
}

// backward collects the last limit existing open times <= to, returned
// ascending: Binance's answer when only endTime (or nothing) is given.
func (g *series) backward(to int64, limit int, out []int64) []int64 {
	start := len(out)
	t := g.iv.floor(to)
	for t >= g.first && len(out)-start < limit {
		if from, in := g.gapStart(t); in {
			t = g.iv.floor(from - 1)
			continue
		}
		out = append(out, t)
		t = g.iv.prev(t)
	}
	slices.Reverse(out[start:])
	return out
}

// selectOpens applies Binance's klines paging rules. nowMs caps everything:
// the candle containing now is the last one that exists (and is returned,
// still open); nothing opens in the future.
func (g *series) selectOpens(q *klinesQuery, nowMs int64) []int64 {
	hi := nowMs
	if q.hasEnd {
		hi = min(q.end, nowMs)
	}
	out := make([]int64, 0, q.limit)
	if q.hasStart {
		return g.forward(q.start, hi, q.limit, out)
	}
	return g.backward(hi, q.limit, out)
}

// candleAt generates the candle opening at open, open or closed as of nowMs.
func (g *series) candleAt(open, nowMs int64) candle {
	if g.iv.next(open)-1 >= nowMs {
		return g.partial(open, nowMs)
	}
	return g.closed(open)
}
