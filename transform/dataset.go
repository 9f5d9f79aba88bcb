package transform

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Dataset describes one table of the lake: what its rows are, how they are
// keyed and sorted, and how they are cut into files. Storage (keys,
// schema checks, footer statistics), the runner, verify and inventory take
// a Dataset and know nothing else of its shape; adding a dataset is a
// descriptor here, its sources in collector, and a line in the registry.
type Dataset struct {
	// Name is the snake_case name: the folder under its layer and the
	// value of --data and of the data_type telemetry attribute.
	Name string
	// Layer is the root folder: silver (collected, the default) or gold
	// (derived by lakehouse derive).
	Layer string
	// Variant is the Hive key of the series' folder below market= when
	// Intervals is set: "interval" (the default) or, for trade bars, "bar".
	Variant string
	// YearFiles: one file per UTC year (daily summaries).
	YearFiles bool
	// Aliases are other accepted names, e.g. Binance's "aggTrades".
	Aliases []string
	// Markets serving the dataset, in the order they are listed.
	Markets []string
	// Intervals: kline-shaped, one series per interval (an interval=
	// folder; --timeframes applies).
	Intervals bool
	// Key is the column every row is unique by and sorted on: int64 or a
	// timestamp. Resume and merges use it.
	Key string
	// Time is the timestamp column files are cut by and freshness is read
	// from; TimeUnit its unit.
	Time     string
	TimeUnit arrow.TimeUnit
	// DailyFiles: one file per UTC day (trades); otherwise the period of
	// Interval.Period (klines).
	DailyFiles bool
	// CrossChecks compare the dataset with others describing the same
	// market and symbol, where both are stored (verify).
	CrossChecks []CrossCheck

	schema func(market string) *arrow.Schema
	check  func(s CheckScope) SeriesChecker // the continuity and validity rule
}

func (d *Dataset) String() string { return d.Name }

// Schema is the Arrow schema of the dataset's rows in a market.
func (d *Dataset) Schema(market string) *arrow.Schema { return d.schema(market) }

// Checker returns the checker of one series' stored files: the dataset's
// continuity rule and row checks.
func (d *Dataset) Checker(s CheckScope) SeriesChecker { return d.check(s) }

// Serves reports whether the market has the dataset.
func (d *Dataset) Serves(market string) bool { return slices.Contains(d.Markets, market) }

// Conforms reports whether sc has the dataset's columns and types for the
// market, in order, ignoring field metadata that file formats add.
func (d *Dataset) Conforms(market string, sc *arrow.Schema) bool {
	return SameFields(d.Schema(market), sc)
}

// Period names the file that holds the row whose Time is t (in TimeUnit),
// for interval iv when the dataset has intervals.
func (d *Dataset) Period(iv Interval, t int64) string {
	ms := d.Millis(t)
	if d.YearFiles {
		return time.UnixMilli(ms).UTC().Format("2006")
	}
	if d.DailyFiles || !d.Intervals {
		return time.UnixMilli(ms).UTC().Format(time.DateOnly)
	}
	return iv.Period(ms)
}

// FromMillis converts milliseconds to the dataset's time unit.
func (d *Dataset) FromMillis(ms int64) int64 {
	return ms * int64(time.Millisecond) / int64(d.TimeUnit.Multiplier())
}

// Day is the UTC day [start, end) holding the Time value t, in the
// dataset's time unit.
func (d *Dataset) Day(t int64) (start, end int64) {
	n := int64(24 * time.Hour / d.TimeUnit.Multiplier())
	start = floorDiv(t, n) * n
	return start, start + n
}

// Millis converts a Time value to milliseconds (floored).
func (d *Dataset) Millis(t int64) int64 {
	switch d.TimeUnit {
	case arrow.Microsecond:
		return floorDiv(t, 1000)
	case arrow.Nanosecond:
		return floorDiv(t, 1_000_000)
	case arrow.Second:
		return t * 1000
	}
	return t
}

// SameFields reports whether sc has want's column names and types, in
// order, ignoring field metadata.
func SameFields(want, sc *arrow.Schema) bool {
	if sc.NumFields() != want.NumFields() {
		return false
	}
	for i, f := range want.Fields() {
		g := sc.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) {
			return false
		}
	}
	return true
}

// Klines is Binance's candlesticks (SPEC section 3).
var Klines = &Dataset{
	Name:      "klines",
	Markets:   []string{"spot", "usdm", "coinm"},
	Intervals: true,
	Key:       ColOpenTime,
	Time:      ColOpenTime,
	TimeUnit:  arrow.Millisecond,
	schema:    func(string) *arrow.Schema { return Schema },
	check:     newKlinesChecker,
}

// Layers of the lake.
const (
	LayerSilver = "silver"
	LayerGold   = "gold"
)

// LayerOf is the layer of a dataset: silver unless it says gold.
func (d *Dataset) LayerOf() string {
	if d.Layer == "" {
		return LayerSilver
	}
	return d.Layer
}

// VariantKey is the Hive key of the interval-like folder ("interval", or
// the dataset's Variant).
func (d *Dataset) VariantKey() string {
	if d.Variant == "" {
		return "interval"
	}
	return d.Variant
}

// datasets is the registry of collected (silver) datasets, in the order
// they are listed to users; gold lists the derived ones.
var (
	datasets = []*Dataset{Klines, TradesData, AggTradesData, FundingRateData}
	gold     = []*Dataset{CandlesData, TradeBarsData, DailySummaryData}
)

// Datasets lists every collected dataset.
func Datasets() []*Dataset { return slices.Clone(datasets) }

// GoldDatasets lists the derived datasets of lakehouse derive.
func GoldDatasets() []*Dataset { return slices.Clone(gold) }

// DatasetNames lists the names --data accepts (without aliases).
func DatasetNames() []string {
	names := make([]string, len(datasets))
	for i, d := range datasets {
		names[i] = d.Name
	}
	return names
}

// LookupStored finds a dataset of any layer by its exact name (a folder
// of the lake).
func LookupStored(name string) (*Dataset, error) {
	for _, d := range append(Datasets(), gold...) {
		if d.Name == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("unknown dataset %q", name)
}

// LookupDataset finds a collected dataset by name or alias; names are
// matched exactly, aliases (Binance's camelCase names) case-insensitively.
func LookupDataset(name string) (*Dataset, error) {
	name = strings.TrimSpace(name)
	for _, d := range datasets {
		if d.Name == name {
			return d, nil
		}
	}
	for _, d := range datasets {
		for _, a := range d.Aliases {
			if strings.EqualFold(a, name) {
				return d, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown dataset %q: allowed are %s", name, strings.Join(DatasetNames(), ", "))
}

// mustSchema adapts a schema-by-market function whose markets are the
// dataset's own (an unknown market is a programming error).
func mustSchema(f func(market string) (*arrow.Schema, error)) func(string) *arrow.Schema {
	return func(market string) *arrow.Schema {
		sc, err := f(market)
		if err != nil {
			panic(err)
		}
		return sc
	}
}
