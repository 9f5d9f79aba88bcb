package transform

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The agg_trades dataset (SPEC section 8): Binance's aggregate trades (fills
// of one taker order at one price), keyed by agg_trade_id, one file a day:
//
//	spot:        agg_trade_id, price, qty, first_trade_id, last_trade_id, time, is_buyer_maker, is_best_match
//	usdm, coinm: agg_trade_id, price, qty, first_trade_id, last_trade_id, time, is_buyer_maker
//
// ids are int64, time a timestamp(µs, UTC), no column is nullable. As for
// trades, futures have no best-match flag and so no is_best_match column.

// Key and time columns of agg_trades.
const (
	AggTradesKeyColumn  = ColAggTradeID
	AggTradesTimeColumn = ColTime
)

// Column indexes of the agg_trades schemas (is_best_match in spot only).
const (
	aIdxID = iota
	aIdxPrice
	aIdxQty
	aIdxFirst
	aIdxLast
	aIdxTime
	aIdxBuyerMaker
	aIdxBestMatch
)

// Agg trades schemas: one for spot, one for both futures markets.
var (
	SpotAggTradesSchema = arrow.NewSchema([]arrow.Field{
		{Name: ColAggTradeID, Type: i64}, {Name: ColPrice, Type: f64}, {Name: ColQty, Type: f64},
		{Name: ColFirstTradeID, Type: i64}, {Name: ColLastTradeID, Type: i64},
		{Name: ColTime, Type: TimestampMicros},
		{Name: ColIsBuyerMaker, Type: bln}, {Name: ColIsBestMatch, Type: bln},
	}, nil)
	FuturesAggTradesSchema = arrow.NewSchema([]arrow.Field{
		{Name: ColAggTradeID, Type: i64}, {Name: ColPrice, Type: f64}, {Name: ColQty, Type: f64},
		{Name: ColFirstTradeID, Type: i64}, {Name: ColLastTradeID, Type: i64},
		{Name: ColTime, Type: TimestampMicros},
		{Name: ColIsBuyerMaker, Type: bln},
	}, nil)
)

// AggTradesSchema is the agg_trades schema of market (spot, usdm or coinm).
func AggTradesSchema(market string) (*arrow.Schema, error) {
	m, err := parseTradeMarket(market)
	if err != nil {
		return nil, err
	}
	if m == spotMarket {
		return SpotAggTradesSchema, nil
	}
	return FuturesAggTradesSchema, nil
}

// AggTrade is one parsed aggregate trade.
type AggTrade struct {
	ID           int64 // agg_trade_id
	Price        float64
	Qty          float64
	FirstTradeID int64
	LastTradeID  int64
	Time         int64 // µs since the epoch, UTC
	IsBuyerMaker bool
	IsBestMatch  bool // spot only; false elsewhere
}

// RawAggTrade is an aggregate trade of GET /api/v3/aggTrades (or
// /fapi|dapi/v1/aggTrades, without M) as Binance sends it. Its fields are
// go-binance's spot AggTrade's, so that type converts to it. encoding/json
// prefers the exact key, so "m" and "M" land in their own fields.
type RawAggTrade struct {
	AggTradeID       int64  `json:"a"`
	Price            string `json:"p"`
	Quantity         string `json:"q"`
	FirstTradeID     int64  `json:"f"`
	LastTradeID      int64  `json:"l"`
	Timestamp        int64  `json:"T"` // ms, or µs under X-MBX-TIME-UNIT: MICROSECOND
	IsBuyerMaker     bool   `json:"m"`
	IsBestPriceMatch bool   `json:"M"`
}

// AggTradesBuilder is TradesBuilder for aggregate trades: validated rows
// into Arrow buffers, a record batch at a time, rejects counted. Besides
// the trade checks, first_trade_id <= last_trade_id.
type AggTradesBuilder struct {
	tradeBuilder
}

// NewAggTradesBuilder returns a builder for aggregate trades of market
// (spot, usdm or coinm).
func NewAggTradesBuilder(mem memory.Allocator, market string) (*AggTradesBuilder, error) {
	m, err := parseTradeMarket(market)
	if err != nil {
		return nil, err
	}
	sc, _ := AggTradesSchema(market)
	return &AggTradesBuilder{newTradeBuilder(mem, m, sc)}, nil
}

// Append validates and appends a. It reports whether the row was accepted;
// a rejected row is counted in Rejected.
func (b *AggTradesBuilder) Append(a AggTrade) bool {
	if !checkPrice(a.Price) || !nonNegativeFinite(a.Qty) || a.FirstTradeID > a.LastTradeID ||
		!checkTime(a.Time) || b.seen && a.ID <= b.lastID {
		b.Rejected.Add(b.aggTradeError(a))
		return false
	}
	c := &b.cols
	i := c.next()
	c.words[aIdxID][i] = uint64(a.ID)
	c.words[aIdxPrice][i] = math.Float64bits(a.Price)
	c.words[aIdxQty][i] = math.Float64bits(a.Qty)
	c.words[aIdxFirst][i] = uint64(a.FirstTradeID)
	c.words[aIdxLast][i] = uint64(a.LastTradeID)
	c.words[aIdxTime][i] = uint64(a.Time)
	setBit(c.bits[aIdxBuyerMaker], i, a.IsBuyerMaker)
	if b.market == spotMarket {
		setBit(c.bits[aIdxBestMatch], i, a.IsBestMatch)
	}
	b.lastID, b.seen = a.ID, true
	return true
}

// aggTradeError says why Append rejects a (the checks in Append's order).
func (b *AggTradesBuilder) aggTradeError(a AggTrade) *RowError {
	e := &RowError{OpenTime: a.Time / 1000}
	switch {
	case !checkPrice(a.Price):
		e.Type, e.Detail = ErrPrice, fmt.Sprintf("agg trade %d: price %v is not a finite number > 0", a.ID, a.Price)
	case !nonNegativeFinite(a.Qty):
		e.Type, e.Detail = ErrQuantity, fmt.Sprintf("agg trade %d: qty %v is not a finite number >= 0", a.ID, a.Qty)
	case a.FirstTradeID > a.LastTradeID:
		e.Type, e.Detail = ErrTradeRange, fmt.Sprintf("agg trade %d: first trade %d after last trade %d", a.ID, a.FirstTradeID, a.LastTradeID)
	case !checkTime(a.Time):
		e.Type, e.Detail = ErrTime, fmt.Sprintf("agg trade %d: time %d µs is out of range", a.ID, a.Time)
	default:
		e.Type, e.Detail = ErrIDOrder, fmt.Sprintf("agg trade %d: not after agg trade %d", a.ID, b.lastID)
	}
	return e
}

// AppendRaw parses, validates and appends a REST aggregate trade whose time
// is in unit (arrow.Millisecond or arrow.Microsecond).
func (b *AggTradesBuilder) AppendRaw(r RawAggTrade, unit arrow.TimeUnit) bool {
	a := AggTrade{ID: r.AggTradeID, FirstTradeID: r.FirstTradeID, LastTradeID: r.LastTradeID,
		Time: toMicros(r.Timestamp, unit), IsBuyerMaker: r.IsBuyerMaker}
	if b.market == spotMarket {
		a.IsBestMatch = r.IsBestPriceMatch
	}
	var err error
	if a.Price, err = ParseFloat(r.Price); err != nil {
		b.Rejected.Add(rawRejected(a.ID, a.Time, ColPrice, r.Price))
		return false
	}
	if a.Qty, err = ParseFloat(r.Quantity); err != nil {
		b.Rejected.Add(rawRejected(a.ID, a.Time, ColQty, r.Quantity))
		return false
	}
	return b.Append(a)
}

// rawRejected is the RowError of a REST row whose decimal does not parse.
func rawRejected(id, us int64, col, v string) *RowError {
	return &RowError{OpenTime: us / 1000, Type: ErrParse,
		Detail: fmt.Sprintf("id %d: %s %s is not a number", id, col, strconv.Quote(v))}
}

// AggTrades returns the rows of an agg_trades batch of any market, for
// tests and small reports.
func AggTrades(rec arrow.RecordBatch) []AggTrade {
	out := make([]AggTrade, rec.NumRows())
	var best *array.Boolean
	if rec.NumCols() > aIdxBestMatch {
		best = rec.Column(aIdxBestMatch).(*array.Boolean)
	}
	for i := range out {
		out[i] = AggTrade{
			ID:           rec.Column(aIdxID).(*array.Int64).Value(i),
			Price:        rec.Column(aIdxPrice).(*array.Float64).Value(i),
			Qty:          rec.Column(aIdxQty).(*array.Float64).Value(i),
			FirstTradeID: rec.Column(aIdxFirst).(*array.Int64).Value(i),
			LastTradeID:  rec.Column(aIdxLast).(*array.Int64).Value(i),
			Time:         int64(rec.Column(aIdxTime).(*array.Timestamp).Value(i)),
			IsBuyerMaker: rec.Column(aIdxBuyerMaker).(*array.Boolean).Value(i),
		}
		if best != nil {
			out[i].IsBestMatch = best.Value(i)
		}
	}
	return out
}

// AggTradesData is the agg_trades dataset (SPEC section 8): Binance's
// aggregate trades, one file per UTC day, unique and sorted by
// agg_trade_id. Binance's archive calls it aggTrades.
var AggTradesData = &Dataset{
	Name:       "agg_trades",
	Aliases:    []string{"aggTrades"},
	Markets:    []string{"spot", "usdm", "coinm"},
	Key:        AggTradesKeyColumn,
	Time:       AggTradesTimeColumn,
	TimeUnit:   arrow.Microsecond,
	DailyFiles: true,
	CrossChecks: []CrossCheck{
		{With: TradesData, New: newTradesCrossCheck},
	},
	schema: mustSchema(AggTradesSchema),
	check:  newAggTradesChecker,
}
