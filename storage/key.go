// Package storage reads and writes klines record batches as Parquet files,
// addressed by Key, on a Backend (local folder now; S3 by URL scheme).
package storage

import (
	"fmt"
	"path"
	"strings"
)

// Key addresses one Parquet file of the silver layer.
type Key struct {
	Market   string // spot, usdm, coinm
	Interval string // REST name, e.g. 1m, 1M (its folder: IntervalFolder)
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
	return interval
}

// intervalOfFolder is the inverse of IntervalFolder; ok is false for a
// value IntervalFolder never produces, such as the legacy "1M".
func intervalOfFolder(folder string) (string, bool) {
	iv := folder
	if folder == monthlyFolder {
		iv = monthlyInterval
	}
	return iv, IntervalFolder(iv) == folder
}

// Series names the files of one market/interval/symbol.
type Series struct {
	Market, Interval, Symbol string
}

const silverRoot = "silver/klines"

// Dir is the Hive-style folder of a series, relative to the lake root.
func (s Series) Dir() string {
	return seriesDir(s.Market, IntervalFolder(s.Interval), s.Symbol)
}

func seriesDir(market, intervalFolder, symbol string) string {
	return fmt.Sprintf("%s/market=%s/interval=%s/symbol=%s", silverRoot, market, intervalFolder, symbol)
}

// Key returns the key of one period of the series.
func (s Series) Key(period string) Key {
	return Key{Market: s.Market, Interval: s.Interval, Symbol: s.Symbol, Period: period}
}

// Series returns the series the key belongs to.
func (k Key) Series() Series { return Series{Market: k.Market, Interval: k.Interval, Symbol: k.Symbol} }

// Path is the object name relative to the lake root, with forward slashes:
// silver/klines/market=M/interval=I/symbol=S/PERIOD.parquet
func (k Key) Path() string { return k.Series().Dir() + "/" + k.Period + ".parquet" }

func (k Key) String() string { return k.Path() }

// ParseKey is the inverse of Key.Path; ok is false for any other name,
// including files in the legacy interval=1M folder.
func ParseKey(name string) (k Key, ok bool) {
	k, ok = parseSilverName(name)
	if !ok {
		return k, false
	}
	iv, ok := intervalOfFolder(k.Interval)
	if !ok {
		return Key{}, false
	}
	k.Interval = iv
	return k, true
}

// parseSilverName splits a silver file name into its folder values, the
// interval as it is spelled in the folder name.
func parseSilverName(name string) (k Key, ok bool) {
	rest, found := strings.CutPrefix(name, silverRoot+"/")
	if !found {
		return k, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 4 || !strings.HasSuffix(parts[3], ".parquet") {
		return k, false
	}
	vals := [3]string{}
	for i, name := range [...]string{"market=", "interval=", "symbol="} {
		v, found := strings.CutPrefix(parts[i], name)
		if !found || v == "" {
			return k, false
		}
		vals[i] = v
	}
	period := strings.TrimSuffix(parts[3], ".parquet")
	if period == "" || strings.HasPrefix(period, ".") || path.Base(parts[3]) != parts[3] {
		return k, false
	}
	return Key{Market: vals[0], Interval: vals[1], Symbol: vals[2], Period: period}, true
}
