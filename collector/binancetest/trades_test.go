package binancetest

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// units parses a decimal with up to 8 places into 1e-8 units.
func units(t *testing.T, s string) int64 {
	t.Helper()
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) > 8 {
		t.Fatalf("decimal %q has more than 8 places", s)
	}
	n, err := strconv.ParseInt(ip+fp+strings.Repeat("0", 8-len(fp)), 10, 64)
	if err != nil {
		t.Fatalf("bad decimal %q", s)
	}
	return n
}

// tradeServer pins the clock at now and enables trades on BTC of every market.
func tradeServer(t *testing.T, now time.Time, perMinute int, opts ...Option) *Server {
	t.Helper()
	all := append([]Option{
		WithClock(func() time.Time { return now }),
		WithTrades(Spot, perMinute, "BTCUSDT"),
		WithTrades(USDM, perMinute, "BTCUSDT"),
		WithTrades(COINM, perMinute, "BTCUSD_PERP"),
	}, opts...)
	s := New(all...)
	t.Cleanup(s.Close)
	return s
}

var tradeSymbols = map[Market]string{Spot: "BTCUSDT", USDM: "BTCUSDT", COINM: "BTCUSD_PERP"}

// reaggregate applies Binance's documented rule to trades: consecutive
// trades (ids without a gap) with the same price, taker side and time
// (futures: within 100 ms of the aggregate's first trade) form one
// aggregate.
func reaggregate(t *testing.T, m Market, ts []Trade) []AggTrade {
	var out []AggTrade
	for _, tr := range ts {
		if n := len(out); n > 0 {
			a := &out[n-1]
			same := a.Price == tr.Price && a.IsBuyerMaker == tr.IsBuyerMaker && a.LastTradeID+1 == tr.ID
			if m == Spot {
				same = same && a.Time == tr.Time
			} else {
				same = same && tr.Time-a.Time < 100_000
			}
			if same {
				a.LastTradeID = tr.ID
				a.Qty = fixedString(units(t, a.Qty) + units(t, tr.Qty))
				continue
			}
		}
		out = append(out, AggTrade{Price: tr.Price, Qty: fixedString(units(t, tr.Qty)), FirstTradeID: tr.ID, LastTradeID: tr.ID,
			Time: tr.Time, IsBuyerMaker: tr.IsBuyerMaker, IsBestMatch: tr.IsBestMatch})
	}
	return out
}

func TestTradesIDsAndAggChain(t *testing.T) {
	now := time.Date(2025, 3, 2, 6, 0, 0, 0, time.UTC)
	s := tradeServer(t, now, 40, WithTradeIDGaps(7, 2))
	from, to := now.Add(-3*time.Hour), now.Add(time.Hour) // beyond now: cut at now
	for m, sym := range tradeSymbols {
		ts := s.Trades(m, sym, from, to)
		aggs := s.AggTrades(m, sym, from, to)
		if len(ts) < 3*60*20 || len(aggs) == 0 {
			t.Fatalf("%s: %d trades, %d aggs", m, len(ts), len(aggs))
		}
		gaps := 0
		for i, tr := range ts {
			if tr.Time >= now.UnixMicro()+1 || tr.Time < from.UnixMicro() {
				t.Fatalf("%s: trade %d at %d outside range", m, tr.ID, tr.Time)
			}
			if m != Spot && tr.Time%1000 != 0 {
				t.Fatalf("%s: futures time %d is not a whole ms", m, tr.Time)
			}
			if tr.IsBestMatch != (m == Spot) {
				t.Fatalf("%s: isBestMatch %v", m, tr.IsBestMatch)
			}
			if i == 0 {
				continue
			}
			prev := ts[i-1]
			if tr.Time < prev.Time {
				t.Fatalf("%s: time goes back at id %d", m, tr.ID)
			}
			switch d := tr.ID - prev.ID; {
			case d == 1:
			case m != Spot && d == 3 && (tr.Time/60e6)%7 == 0:
				gaps++
			default:
				t.Fatalf("%s: id %d follows %d", m, tr.ID, prev.ID)
			}
			if m == USDM && units(t, tr.QuoteQty) != units(t, tr.Price)*units(t, tr.Qty)/1e8 {
				t.Fatalf("%s: quote_qty %s != %s * %s", m, tr.QuoteQty, tr.Price, tr.Qty)
			}
		}
		if (m == Spot) != (gaps == 0) {
			t.Fatalf("%s: %d id gaps", m, gaps)
		}
		// Aggregates: ids +1, chain over the trades, and exactly Binance's rule.
		want := reaggregate(t, m, ts)
		if len(want) != len(aggs) {
			t.Fatalf("%s: %d aggregates, documented rule gives %d", m, len(aggs), len(want))
		}
		for i, a := range aggs {
			w := want[i]
			w.ID = a.ID
			a.Qty = fixedString(units(t, a.Qty))
			if a != w {
				t.Fatalf("%s: agg %d = %+v, want %+v", m, i, a, w)
			}
			if i > 0 && a.ID != aggs[i-1].ID+1 {
				t.Fatalf("%s: agg id %d follows %d", m, a.ID, aggs[i-1].ID)
			}
		}
		// The first id of any minute is computable without generating the past.
		min0 := ts[0].Time / 60e6 * 60e6
		if id, _ := s.TradeIDAt(m, sym, time.UnixMicro(min0)); id != ts[0].ID {
			t.Fatalf("%s: TradeIDAt = %d, want %d", m, id, ts[0].ID)
		}
	}
}

func TestTradesKlinesAreAggregates(t *testing.T) {
	now := time.Date(2025, 3, 2, 6, 30, 30, 0, time.UTC)
	s := tradeServer(t, now, 30)
	for _, tc := range []struct {
		m        Market
		interval string
		span     time.Duration
	}{
		{Spot, "1s", 3 * time.Minute}, {Spot, "1m", 3 * time.Hour}, {Spot, "15m", 6 * time.Hour},
		{USDM, "1m", 2 * time.Hour}, {USDM, "1h", 6 * time.Hour}, {COINM, "1m", 2 * time.Hour}, {COINM, "5m", 2 * time.Hour},
	} {
		sym := tradeSymbols[tc.m]
		from := now.Add(-tc.span).Truncate(time.Hour)
		ks := s.Klines(tc.m, sym, tc.interval, from, now)
		if len(ks) == 0 {
			t.Fatalf("%s %s: no klines", tc.m, tc.interval)
		}
		ts := s.Trades(tc.m, sym, from, now)
		j := 0
		before := s.Trades(tc.m, sym, from.Add(-2*time.Minute), from)
		lastPrice := before[len(before)-1].Price
		for _, k := range ks {
			var c candle
			for ; j < len(ts) && ts[j].Time/1000 <= k.CloseTime; j++ {
				tr := ts[j]
				p, q, qq := units(t, tr.Price), units(t, tr.Qty), units(t, tr.QuoteQty)
				if c.trades == 0 {
					c.o, c.h, c.l = p, p, p
				}
				c.h, c.l, c.c = max(c.h, p), min(c.l, p), p
				c.vol, c.qvol, c.trades = c.vol+q, c.qvol+qq, c.trades+1
				if !tr.IsBuyerMaker {
					c.tbb, c.tbq = c.tbb+q, c.tbq+qq
				}
				lastPrice = tr.Price
			}
			if c.trades == 0 { // no trades: the previous close, zero volume
				c.o, c.h, c.l, c.c = units(t, lastPrice), units(t, lastPrice), units(t, lastPrice), units(t, lastPrice)
			}
			got := [...]int64{fixed(t, k.Open), fixed(t, k.High), fixed(t, k.Low), fixed(t, k.Close), fixed(t, k.Volume),
				fixed(t, k.QuoteVolume), k.Trades, fixed(t, k.TakerBuyBase), fixed(t, k.TakerBuyQuote)}
			want := [...]int64{c.o, c.h, c.l, c.c, c.vol, c.qvol, c.trades, c.tbb, c.tbq}
			if got != want {
				t.Fatalf("%s %s candle %d: got %v, want %v", tc.m, tc.interval, k.OpenTime, got, want)
			}
		}
	}
}

// Symbols without trades keep their synthetic klines and serve no trades.
func TestTradesOffLeavesKlinesAlone(t *testing.T) {
	now := testNow
	plain := New(WithClock(func() time.Time { return now }))
	defer plain.Close()
	s := tradeServer(t, now, 10)
	from := now.Add(-2 * time.Hour)
	a, b := plain.Klines(Spot, "ETHUSDT", "1m", from, now), s.Klines(Spot, "ETHUSDT", "1m", from, now)
	if len(a) == 0 || len(a) != len(b) || a[0] != b[0] || a[len(a)-1] != b[len(b)-1] {
		t.Fatal("klines of a symbol without trades changed")
	}
	if s.Trades(Spot, "ETHUSDT", from, now) != nil {
		t.Fatal("trades for a symbol without trades")
	}
}
