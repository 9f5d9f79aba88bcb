// Package transform turns Binance klines into typed, validated, sorted and
// de-duplicated Arrow record batches, and merges new batches with stored ones.
package transform

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// SchemaVersion is written into every Parquet file's metadata; bump it when
// the columns change so readers and `verify` can tell old files apart.
const SchemaVersion = "1"

// Column names of the silver klines table (SPEC section 3).
const (
	ColOpenTime            = "open_time"
	ColOpen                = "open"
	ColHigh                = "high"
	ColLow                 = "low"
	ColClose               = "close"
	ColVolume              = "volume"
	ColCloseTime           = "close_time"
	ColQuoteVolume         = "quote_volume"
	ColTrades              = "trades"
	ColTakerBuyBaseVolume  = "taker_buy_base_volume"
	ColTakerBuyQuoteVolume = "taker_buy_quote_volume"
)

// Column indexes in Schema.
const (
	idxOpenTime = iota
	idxOpen
	idxHigh
	idxLow
	idxClose
	idxVolume
	idxCloseTime
	idxQuoteVolume
	idxTrades
	idxTakerBase
	idxTakerQuote
	numColumns
)

var timestampMs = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}

// Schema is the Arrow schema of a klines record batch.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: ColOpenTime, Type: timestampMs},
	{Name: ColOpen, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColHigh, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColLow, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColClose, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColVolume, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColCloseTime, Type: timestampMs},
	{Name: ColQuoteVolume, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColTrades, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColTakerBuyBaseVolume, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColTakerBuyQuoteVolume, Type: arrow.PrimitiveTypes.Float64},
}, nil)

// Conforms reports whether sc has the klines columns with the klines types,
// in order, ignoring field metadata that file formats add.
func Conforms(sc *arrow.Schema) bool { return SameFields(Schema, sc) }
