// Package storage reads and writes record batches of the lake's datasets
// (transform.Dataset) as Parquet files, addressed by Key, on a Backend
// (local folder or S3, by URL scheme).
package storage

import (
	"fmt"
	"path"
	"strings"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// Key addresses one Parquet file of the lake: silver (collected) or gold
// (derived), by its dataset's layer.
type Key struct {
	Dataset  string // a transform.Dataset name: klines, trades, ...
	Market   string // spot, usdm, coinm
	Interval string // REST name, e.g. 1m, 1M (its folder: IntervalFolder); a bar spec folder for trade bars; "" for datasets without intervals
	Symbol   string // upper case, e.g. BTCUSDT
	Period   string // YYYY-MM-DD, YYYY-MM or YYYY
}

// The monthly interval "1M" is stored under interval=1mo, Binance's own
// archive name for it: on a case-insensitive file system (macOS, Windows,
// Docker Desktop mounts) interval=1M and interval=1m are one folder, and
// the two series would read and overwrite each other's files. Lakes written
// before this used interval=1M (see legacy.go).
const (
	monthlyInterval = "1M"
	monthlyFolder   = "1mo"
)

// IntervalFolder is the value of interval= in folder names for a REST
// interval name: "1mo" for "1M", the name itself otherwise. No two
// intervals' folders differ only in case.
func IntervalFolder(interval string) string {
	if interval == monthlyInterval {
		return monthlyFolder
	}
	if n, ok := strings.CutSuffix(interval, "M"); ok && n != "" && isDigits(n) {
		return n + "mo" // custom gold intervals: 3M is interval=3mo
	}
	return interval
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// intervalOfFolder is the inverse of IntervalFolder; ok is false for a
// value IntervalFolder never produces, such as the legacy "1M".
func intervalOfFolder(folder string) (string, bool) {
	iv := folder
	if n, ok := strings.CutSuffix(folder, "mo"); ok && n != "" && isDigits(n) {
		iv = n + "M"
	}
	return iv, IntervalFolder(iv) == folder
}

// Series names the files of one dataset/market/interval/symbol.
type Series struct {
	Dataset, Market, Interval, Symbol string
}

const (
	silverRoot = transform.LayerSilver
	goldRoot   = transform.LayerGold
)

// Dir is the Hive-style folder of a series, relative to the lake root:
// LAYER/DATASET/market=M/[interval=I/]symbol=S (trade bars: bar=B).
func (s Series) Dir() string {
	return seriesDir(s.Dataset, s.Market, IntervalFolder(s.Interval), s.Symbol)
}

func seriesDir(dataset, market, intervalFolder, symbol string) string {
	root, variant := silverRoot, "interval"
	if d, err := transform.LookupStored(dataset); err == nil {
		root, variant = d.LayerOf(), d.VariantKey()
	}
	if intervalFolder == "" {
		return fmt.Sprintf("%s/%s/market=%s/symbol=%s", root, dataset, market, symbol)
	}
	return fmt.Sprintf("%s/%s/market=%s/%s=%s/symbol=%s", root, dataset, market, variant, intervalFolder, symbol)
}

// Key returns the key of one period of the series.
func (s Series) Key(period string) Key {
	return Key{Dataset: s.Dataset, Market: s.Market, Interval: s.Interval, Symbol: s.Symbol, Period: period}
}

// Series returns the series the key belongs to.
func (k Key) Series() Series {
	return Series{Dataset: k.Dataset, Market: k.Market, Interval: k.Interval, Symbol: k.Symbol}
}

// Path is the object name relative to the lake root, with forward slashes:
// silver/DATASET/market=M/[interval=I/]symbol=S/PERIOD.parquet
func (k Key) Path() string { return k.Series().Dir() + "/" + k.Period + ".parquet" }

func (k Key) String() string { return k.Path() }

// Dataset is the descriptor of the key's dataset.
func (k Key) dataset() (*transform.Dataset, error) { return transform.LookupStored(k.Dataset) }

// ParseKey is the inverse of Key.Path; ok is false for any other name,
// including files of unknown datasets and in the legacy interval=1M folder.
func ParseKey(name string) (k Key, ok bool) {
	k, ok = parseSilverName(name)
	if !ok || k.Interval == "" {
		return k, ok
	}
	iv, ok := intervalOfFolder(k.Interval)
	if !ok {
		return Key{}, false
	}
	k.Interval = iv
	return k, true
}

// parseSilverName splits a file name of either layer into its folder
// values, the interval as it is spelled in the folder name. Whether a
// dataset has an interval= (or bar=) folder comes from its descriptor.
func parseSilverName(name string) (k Key, ok bool) {
	root, rest, found := strings.Cut(name, "/")
	if !found || (root != silverRoot && root != goldRoot) {
		return k, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 {
		return k, false
	}
	d, err := transform.LookupStored(parts[0])
	if err != nil || d.Name != parts[0] || d.LayerOf() != root {
		return k, false
	}
	folders := []string{"market=", "symbol="}
	if d.Intervals {
		folders = []string{"market=", d.VariantKey() + "=", "symbol="}
	}
	parts = parts[1:]
	if len(parts) != len(folders)+1 || !strings.HasSuffix(parts[len(folders)], ".parquet") {
		return k, false
	}
	vals := make([]string, len(folders))
	for i, name := range folders {
		v, found := strings.CutPrefix(parts[i], name)
		if !found || v == "" {
			return k, false
		}
		vals[i] = v
	}
	file := parts[len(folders)]
	period := strings.TrimSuffix(file, ".parquet")
	if period == "" || strings.HasPrefix(period, ".") || path.Base(file) != file {
		return k, false
	}
	k = Key{Dataset: d.Name, Market: vals[0], Symbol: vals[len(vals)-1], Period: period}
	if d.Intervals {
		k.Interval = vals[1]
	}
	return k, true
}
