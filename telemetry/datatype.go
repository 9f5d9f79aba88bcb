package telemetry

import (
	"context"
	"strings"
)

// The data instruments (ingested, volume, freshness, transformation
// errors) carry a data_type attribute: the dataset's name as the lake and
// --data spell it (klines, trades, agg_trades). The names come from the
// callers' dataset descriptors; this package only knows the few it needs
// to tell a response's dataset from its path when no caller said so.

// NoInterval is the interval attribute of a series of a dataset without
// intervals (trades, agg_trades). The attribute is kept, with a value
// rather than "", because Prometheus drops empty labels: the series would
// have a different label set there than over OTLP.
const NoInterval = "none"

// DataTypeOther is the data_type of bytes that belong to no dataset
// (exchangeInfo and other requests outside a task).
const DataTypeOther = "other"

// SeriesID names one series of the lake in the data instruments.
type SeriesID struct {
	DataType string // the dataset: klines, trades, agg_trades
	Market   string
	Symbol   string
	// Interval of a kline-shaped dataset; "" for the others, reported as
	// NoInterval.
	Interval string
}

// interval is the interval attribute's value.
func (s SeriesID) interval() string {
	if s.Interval == "" {
		return NoInterval
	}
	return s.Interval
}

type dataTypeKey struct{}

// WithDataType returns ctx saying that the work done with it is for
// dataset name: the HTTP transport attributes the bytes of the responses
// to requests made with it to that data_type.
func WithDataType(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, dataTypeKey{}, name)
}

// DataTypeFrom is the data_type WithDataType put in ctx, "" if none.
func DataTypeFrom(ctx context.Context) string {
	s, _ := ctx.Value(dataTypeKey{}).(string)
	return s
}

// pathDataTypes maps the dataset folder of an archive path and the last
// segment of a REST path to the data_type of what they serve.
var pathDataTypes = map[string]string{
	"klines":           "klines",
	"trades":           "trades",
	"historicalTrades": "trades",
	"aggTrades":        "agg_trades",
	"fundingRate":      "funding_rate",
}

// PathDataType is the data_type of the answer to a request for path, for
// requests made outside a task: an archive path by its dataset folder
// (/data/spot/daily/aggTrades/...), a REST path by its last segment
// (/api/v3/klines, /api/v3/historicalTrades); DataTypeOther otherwise.
// It allocates nothing.
func PathDataType(path string) string {
	if i := archiveFolder(path); i >= 0 {
		name, _, _ := strings.Cut(path[i:], "/")
		if dt, ok := pathDataTypes[name]; ok {
			return dt
		}
		return DataTypeOther
	}
	if dt, ok := pathDataTypes[path[strings.LastIndexByte(path, '/')+1:]]; ok {
		return dt
	}
	return DataTypeOther
}

// dataTypeOf is the data_type of a response: the one its request's
// context says, else the one its path implies.
func dataTypeOf(ctx context.Context, path string) string {
	if dt := DataTypeFrom(ctx); dt != "" {
		return dt
	}
	return PathDataType(path)
}
