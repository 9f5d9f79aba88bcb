package transform

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The trades dataset (SPEC section 8): every trade, keyed by id, one file a
// day. Binance publishes three shapes, so there is one schema per market:
//
//	spot:  id, price, qty, quote_qty, time, is_buyer_maker, is_best_match
//	usdm:  id, price, qty, quote_qty, time, is_buyer_maker
//	coinm: id, price, qty, base_qty,  time, is_buyer_maker
//
// id is int64, time a timestamp(µs, UTC), the rest float64 and bool; no
// column is nullable. COIN-M's qty counts contracts and its fourth column is
// the base-asset quantity, so it is named base_qty rather than stored under
// a name that would claim a quote quantity. Futures have no best-match flag,
// so their schemas have no is_best_match column instead of a column of nulls.

// Column names of the trades and agg_trades tables.
const (
	ColID            = "id"
	ColPrice         = "price"
	ColQty           = "qty"
	ColQuoteQty      = "quote_qty"
	ColBaseQty       = "base_qty"
	ColTime          = "time"
	ColIsBuyerMaker  = "is_buyer_maker"
	ColIsBestMatch   = "is_best_match"
	ColAggTradeID    = "agg_trade_id"
	ColFirstTradeID  = "first_trade_id"
	ColLastTradeID   = "last_trade_id"
	TradesKeyColumn  = ColID
	TradesTimeColumn = ColTime
)

// TimestampMicros is the type of every trade time: µs since the epoch, UTC.
var TimestampMicros = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// Column indexes of the trades schemas (is_best_match in spot only).
const (
	tIdxID = iota
	tIdxPrice
	tIdxQty
	tIdxQuoteQty // base_qty in coinm
	tIdxTime
	tIdxBuyerMaker
	tIdxBestMatch
)

var (
	f64 = arrow.PrimitiveTypes.Float64
	i64 = arrow.PrimitiveTypes.Int64
	bln = arrow.FixedWidthTypes.Boolean
)

// Trades schemas by market.
var (
	SpotTradesSchema = arrow.NewSchema([]arrow.Field{
		{Name: ColID, Type: i64}, {Name: ColPrice, Type: f64}, {Name: ColQty, Type: f64},
		{Name: ColQuoteQty, Type: f64}, {Name: ColTime, Type: TimestampMicros},
		{Name: ColIsBuyerMaker, Type: bln}, {Name: ColIsBestMatch, Type: bln},
	}, nil)
	USDMTradesSchema = arrow.NewSchema([]arrow.Field{
		{Name: ColID, Type: i64}, {Name: ColPrice, Type: f64}, {Name: ColQty, Type: f64},
		{Name: ColQuoteQty, Type: f64}, {Name: ColTime, Type: TimestampMicros},
		{Name: ColIsBuyerMaker, Type: bln},
	}, nil)
	COINMTradesSchema = arrow.NewSchema([]arrow.Field{
		{Name: ColID, Type: i64}, {Name: ColPrice, Type: f64}, {Name: ColQty, Type: f64},
		{Name: ColBaseQty, Type: f64}, {Name: ColTime, Type: TimestampMicros},
		{Name: ColIsBuyerMaker, Type: bln},
	}, nil)
)

// tradeMarket is a market whose trade files have their own shape.
type tradeMarket uint8

const (
	spotMarket tradeMarket = iota
	usdmMarket
	coinmMarket
)

// parseTradeMarket accepts the collector's market names.
func parseTradeMarket(m string) (tradeMarket, error) {
	switch m {
	case "spot":
		return spotMarket, nil
	case "usdm":
		return usdmMarket, nil
	case "coinm":
		return coinmMarket, nil
	}
	return 0, fmt.Errorf("unknown market %q: trades exist for spot, usdm, coinm", m)
}

// TradesSchema is the trades schema of market (spot, usdm or coinm).
func TradesSchema(market string) (*arrow.Schema, error) {
	m, err := parseTradeMarket(market)
	if err != nil {
		return nil, err
	}
	return [...]*arrow.Schema{SpotTradesSchema, USDMTradesSchema, COINMTradesSchema}[m], nil
}

// Trade is one parsed trade.
type Trade struct {
	ID           int64
	Price        float64
	Qty          float64
	QuoteQty     float64 // coinm: the base-asset quantity (base_qty)
	Time         int64   // µs since the epoch, UTC
	IsBuyerMaker bool
	IsBestMatch  bool // spot only; false elsewhere
}

// RawTrade is a trade of spot GET /api/v3/historicalTrades as Binance sends
// it, decimals as strings. Its fields are go-binance's Trade's, so that type
// converts to it.
type RawTrade struct {
	ID            int64  `json:"id"`
	Price         string `json:"price"`
	Quantity      string `json:"qty"`
	QuoteQuantity string `json:"quoteQty"`
	Time          int64  `json:"time"` // ms, or µs under X-MBX-TIME-UNIT: MICROSECOND
	IsBuyerMaker  bool   `json:"isBuyerMaker"`
	IsBestMatch   bool   `json:"isBestMatch"`
	IsIsolated    bool   `json:"isIsolated"` // not sent by historicalTrades; ignored
}

// TradesBuilder accumulates validated trades of one market and symbol into
// Arrow buffers and hands them out as record batches, so a file of any size
// is held one batch at a time. Rows that fail parsing or validation are not
// appended; they are counted in Rejected. Ids must increase within a file
// (StartFile begins a new one). Not safe for concurrent use.
type TradesBuilder struct {
	tradeBuilder
}

// NewTradesBuilder returns a builder for trades of market (spot, usdm or
// coinm).
func NewTradesBuilder(mem memory.Allocator, market string) (*TradesBuilder, error) {
	m, err := parseTradeMarket(market)
	if err != nil {
		return nil, err
	}
	sc, _ := TradesSchema(market)
	return &TradesBuilder{newTradeBuilder(mem, m, sc)}, nil
}

// Append validates and appends t. It reports whether the row was accepted;
// a rejected row is counted in Rejected.
func (b *TradesBuilder) Append(t Trade) bool {
	if !checkPrice(t.Price) || !nonNegativeFinite(t.Qty) || !nonNegativeFinite(t.QuoteQty) ||
		!checkTime(t.Time) || b.seen && t.ID <= b.lastID {
		b.Rejected.Add(b.tradeError(t))
		return false
	}
	c := &b.cols
	i := c.next()
	c.words[tIdxID][i] = uint64(t.ID)
	c.words[tIdxPrice][i] = math.Float64bits(t.Price)
	c.words[tIdxQty][i] = math.Float64bits(t.Qty)
	c.words[tIdxQuoteQty][i] = math.Float64bits(t.QuoteQty)
	c.words[tIdxTime][i] = uint64(t.Time)
	setBit(c.bits[tIdxBuyerMaker], i, t.IsBuyerMaker)
	if b.market == spotMarket {
		setBit(c.bits[tIdxBestMatch], i, t.IsBestMatch)
	}
	b.lastID, b.seen = t.ID, true
	return true
}

// tradeError says why Append rejects t (the checks in Append's order).
func (b *TradesBuilder) tradeError(t Trade) *RowError {
	e := &RowError{OpenTime: t.Time / 1000}
	switch {
	case !checkPrice(t.Price):
		e.Type, e.Detail = ErrPrice, fmt.Sprintf("trade %d: price %v is not a finite number > 0", t.ID, t.Price)
	case !nonNegativeFinite(t.Qty), !nonNegativeFinite(t.QuoteQty):
		e.Type, e.Detail = ErrQuantity, fmt.Sprintf("trade %d: quantities %v, %v are not finite numbers >= 0", t.ID, t.Qty, t.QuoteQty)
	case !checkTime(t.Time):
		e.Type, e.Detail = ErrTime, fmt.Sprintf("trade %d: time %d µs is out of range", t.ID, t.Time)
	default:
		e.Type, e.Detail = ErrIDOrder, fmt.Sprintf("trade %d: not after trade %d", t.ID, b.lastID)
	}
	return e
}

// AppendRaw parses, validates and appends a REST trade whose time is in
// unit (arrow.Millisecond or arrow.Microsecond, see TimeUnitFromHeader).
func (b *TradesBuilder) AppendRaw(r RawTrade, unit arrow.TimeUnit) bool {
	t := Trade{ID: r.ID, Time: toMicros(r.Time, unit), IsBuyerMaker: r.IsBuyerMaker}
	if b.market == spotMarket {
		t.IsBestMatch = r.IsBestMatch
	}
	var err error
	if t.Price, err = ParseFloat(r.Price); err != nil {
		b.Rejected.Add(rawRejected(t.ID, t.Time, ColPrice, r.Price))
		return false
	}
	if t.Qty, err = ParseFloat(r.Quantity); err != nil {
		b.Rejected.Add(rawRejected(t.ID, t.Time, ColQty, r.Quantity))
		return false
	}
	if t.QuoteQty, err = ParseFloat(r.QuoteQuantity); err != nil {
		b.Rejected.Add(rawRejected(t.ID, t.Time, ColQuoteQty, r.QuoteQuantity))
		return false
	}
	return b.Append(t)
}

// Trades returns the rows of a trades batch of any market, for tests and
// small reports.
func Trades(rec arrow.RecordBatch) []Trade {
	out := make([]Trade, rec.NumRows())
	best, hasBest := (*array.Boolean)(nil), rec.NumCols() > tIdxBestMatch
	if hasBest {
		best = rec.Column(tIdxBestMatch).(*array.Boolean)
	}
	for i := range out {
		out[i] = Trade{
			ID:           rec.Column(tIdxID).(*array.Int64).Value(i),
			Price:        rec.Column(tIdxPrice).(*array.Float64).Value(i),
			Qty:          rec.Column(tIdxQty).(*array.Float64).Value(i),
			QuoteQty:     rec.Column(tIdxQuoteQty).(*array.Float64).Value(i),
			Time:         int64(rec.Column(tIdxTime).(*array.Timestamp).Value(i)),
			IsBuyerMaker: rec.Column(tIdxBuyerMaker).(*array.Boolean).Value(i),
		}
		if hasBest {
			out[i].IsBestMatch = best.Value(i)
		}
	}
	return out
}

// TradesData is the trades dataset (SPEC section 8): every trade, one file
// per UTC day, unique and sorted by id.
var TradesData = &Dataset{
	Name:       "trades",
	Markets:    []string{"spot", "usdm", "coinm"},
	Key:        TradesKeyColumn,
	Time:       TradesTimeColumn,
	TimeUnit:   arrow.Microsecond,
	DailyFiles: true,
	CrossChecks: []CrossCheck{
		{With: Klines, Interval: "1m", New: newKlinesCrossCheck},
	},
	schema: mustSchema(TradesSchema),
	check:  newTradesChecker,
}
