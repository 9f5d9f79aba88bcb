package collector

import (
	"fmt"
	"time"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// DefaultArchiveURL is Binance's public bulk archive.
const DefaultArchiveURL = "https://data.binance.vision"

// archiveDirs is each market's folder under data/ on data.binance.vision.
var archiveDirs = map[Market]string{Spot: "spot", USDM: "futures/um", COINM: "futures/cm"}

// ArchiveFile is one zip of data.binance.vision: a month or a day of one
// symbol's klines of one interval, or of another dataset (Data).
type ArchiveFile struct {
	// Data is the dataset; nil means klines.
	Data     *transform.Dataset
	Market   Market
	Symbol   string
	Interval transform.Interval
	Daily    bool      // a day's file, else a month's
	Date     time.Time // 00:00 UTC of the day, or of the 1st of the month
}

// Name is the zip's file name, e.g. BTCUSDT-1m-2024-01.zip. The archive
// spells the monthly interval "1mo" where REST says "1M".
func (f ArchiveFile) Name() string {
	layout := "2006-01"
	if f.Daily {
		layout = "2006-01-02"
	}
	if f.Data != nil && !f.Data.Intervals {
		return fmt.Sprintf("%s-%s-%s.zip", f.Symbol, archiveName(f.Data), f.Date.Format(layout))
	}
	return fmt.Sprintf("%s-%s-%s.zip", f.Symbol, f.Interval.ArchiveName(), f.Date.Format(layout))
}

// Path is the zip's path below the archive's base URL.
func (f ArchiveFile) Path() string {
	freq := "monthly"
	if f.Daily {
		freq = "daily"
	}
	if f.Data != nil && !f.Data.Intervals {
		return fmt.Sprintf("/data/%s/%s/%s/%s/%s", archiveDirs[f.Market], freq, archiveName(f.Data), f.Symbol, f.Name())
	}
	return fmt.Sprintf("/data/%s/%s/klines/%s/%s/%s", archiveDirs[f.Market], freq, f.Symbol, f.Interval.ArchiveName(), f.Name())
}

// Kind is "monthly" or "daily", for plans and messages.
func (f ArchiveFile) Kind() string {
	if f.Daily {
		return SegmentDaily
	}
	return SegmentMonthly
}

// Range is the half-open open-time range [start, end) in ms the file holds.
func (f ArchiveFile) Range() (start, end int64) {
	if f.Daily {
		return f.Date.UnixMilli(), f.Date.AddDate(0, 0, 1).UnixMilli()
	}
	return f.Date.UnixMilli(), f.Date.AddDate(0, 1, 0).UnixMilli()
}

// rawName is where --keep-raw stores a verified zip in the bronze layer,
// under the same interval folder as silver (1M as 1mo, so that it never
// shares a folder with 1m on a case-insensitive file system).
func (f ArchiveFile) rawName() string {
	if f.Data != nil && !f.Data.Intervals {
		return fmt.Sprintf("bronze/%s/market=%s/symbol=%s/%s", f.Data.Name, f.Market, f.Symbol, f.Name())
	}
	return fmt.Sprintf("bronze/klines/market=%s/interval=%s/symbol=%s/%s", f.Market, storage.IntervalFolder(f.Interval.String()), f.Symbol, f.Name())
}

// dayStart truncates ms to 00:00 UTC of its day.
func dayStart(ms int64) time.Time {
	t := time.UnixMilli(ms).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// monthStart truncates ms to 00:00 UTC of the 1st of its month.
func monthStart(ms int64) time.Time {
	t := time.UnixMilli(ms).UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
