package transform

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The funding_rate dataset (SPEC section 8): every funding settlement of a
// perpetual future (usdm, coinm), one file per UTC year, unique and sorted
// by funding_time. Its columns, the same in both markets:
//
//	funding_time            timestamp(ms, UTC)  the settlement, floored to the second (the key)
//	funding_rate            float64
//	mark_price              float64, nullable   REST only (the archive has none)
//	funding_interval_hours  int64, nullable     archive only (REST has none)
//	calc_time               timestamp(ms, UTC)  Binance's time as sent (archive calc_time,
//	                                            REST fundingTime), a few ms after the second
//
// Binance stamps a settlement a few milliseconds late, and not the same
// milliseconds in the archive and over REST, so rows are keyed by the
// second: the same settlement from both sources is one row.

// Column names of the funding_rate table.
const (
	ColFundingTime          = "funding_time"
	ColFundingRate          = "funding_rate"
	ColMarkPrice            = "mark_price"
	ColFundingIntervalHours = "funding_interval_hours"
	ColCalcTime             = "calc_time"
)

// Column indexes of FundingRateSchema.
const (
	fIdxFundingTime = iota
	fIdxRate
	fIdxMarkPrice
	fIdxInterval
	fIdxCalcTime
)

// TimestampMillis is a timestamp(ms, UTC) column.
var TimestampMillis = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}

// FundingRateSchema is the funding_rate schema of both futures markets.
var FundingRateSchema = arrow.NewSchema([]arrow.Field{
	{Name: ColFundingTime, Type: TimestampMillis},
	{Name: ColFundingRate, Type: f64},
	{Name: ColMarkPrice, Type: f64, Nullable: true},
	{Name: ColFundingIntervalHours, Type: i64, Nullable: true},
	{Name: ColCalcTime, Type: TimestampMillis},
}, nil)

// FundingRate is one funding settlement.
type FundingRate struct {
	FundingTime      int64 // ms, floored to the second
	Rate             float64
	MarkPrice        float64 // valid when HasMarkPrice
	HasMarkPrice     bool
	IntervalHours    int64 // valid when HasIntervalHours
	HasIntervalHours bool
	CalcTime         int64 // ms, as Binance sent it
}

// NewFundingRate is the settlement Binance stamped at calcTime (ms).
func NewFundingRate(calcTime int64, rate float64) FundingRate {
	return FundingRate{FundingTime: floorDiv(calcTime, 1000) * 1000, Rate: rate, CalcTime: calcTime}
}

// fundingRateError says why a settlement is not stored, or nil.
func fundingRateError(f FundingRate) *RowError {
	e := &RowError{OpenTime: f.FundingTime}
	switch {
	case !checkTime(f.CalcTime * 1000):
		e.Type, e.Detail = ErrTime, fmt.Sprintf("funding time %d ms is out of range", f.CalcTime)
	case math.IsNaN(f.Rate) || math.IsInf(f.Rate, 0) || math.Abs(f.Rate) >= 1:
		e.Type, e.Detail = ErrFundingRate, fmt.Sprintf("funding rate %v at %s is not a finite number in (-1, 1)", f.Rate, millis(f.FundingTime))
	case f.HasMarkPrice && !checkPrice(f.MarkPrice):
		e.Type, e.Detail = ErrPrice, fmt.Sprintf("mark price %v at %s is not a finite number > 0", f.MarkPrice, millis(f.FundingTime))
	case f.HasIntervalHours && (f.IntervalHours <= 0 || f.IntervalHours > 24*7):
		e.Type, e.Detail = ErrFundingInterval, fmt.Sprintf("funding interval %d h at %s is not in 1..168", f.IntervalHours, millis(f.FundingTime))
	default:
		return nil
	}
	return e
}

// Row error types of funding rates, beside the trade ones.
const (
	ErrFundingRate     = "funding_rate"
	ErrFundingInterval = "funding_interval"
)

// SortFundingRates sorts rows by funding_time and keeps one row per
// funding_time, merged as MergeFundingRates merges (later rows win).
func SortFundingRates(rows []FundingRate) []FundingRate {
	slices.SortStableFunc(rows, func(a, b FundingRate) int { return cmp.Compare(a.FundingTime, b.FundingTime) })
	out := rows[:0]
	for _, r := range rows {
		if n := len(out); n > 0 && out[n-1].FundingTime == r.FundingTime {
			out[n-1] = mergeFundingRow(out[n-1], r)
			continue
		}
		out = append(out, r)
	}
	return out
}

// mergeFundingRow is the row of a settlement both old and new hold: new's
// values, with the columns only one source has (mark_price from REST,
// funding_interval_hours from the archive) kept from old where new lacks
// them, so an archive month and the REST tail over it fill each other.
func mergeFundingRow(old, new FundingRate) FundingRate {
	if !new.HasMarkPrice && old.HasMarkPrice {
		new.MarkPrice, new.HasMarkPrice = old.MarkPrice, true
	}
	if !new.HasIntervalHours && old.HasIntervalHours {
		new.IntervalHours, new.HasIntervalHours = old.IntervalHours, true
	}
	return new
}

// MergeFundingRates merges stored rows with new ones (each sorted and
// unique by funding_time): the union by funding_time, where a settlement
// in both takes new's values filled from old (mergeFundingRow). Added
// counts new settlements, Replaced stored ones whose row changed.
func MergeFundingRates(stored, incoming []FundingRate) ([]FundingRate, MergeStats) {
	var st MergeStats
	out := make([]FundingRate, 0, len(stored)+len(incoming))
	i, j := 0, 0
	for i < len(stored) || j < len(incoming) {
		switch {
		case j == len(incoming) || i < len(stored) && stored[i].FundingTime < incoming[j].FundingTime:
			out = append(out, stored[i])
			i++
		case i == len(stored) || incoming[j].FundingTime < stored[i].FundingTime:
			out = append(out, incoming[j])
			st.Added++
			j++
		default:
			m := mergeFundingRow(stored[i], incoming[j])
			if m != stored[i] {
				st.Replaced++
			}
			out = append(out, m)
			i, j = i+1, j+1
		}
	}
	st.Rows = len(out)
	return out, st
}

// FundingRecord builds a batch of FundingRateSchema from rows (sorted and
// unique by funding_time).
func FundingRecord(mem memory.Allocator, rows []FundingRate) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, FundingRateSchema)
	defer b.Release()
	ft := b.Field(fIdxFundingTime).(*array.TimestampBuilder)
	rate := b.Field(fIdxRate).(*array.Float64Builder)
	mark := b.Field(fIdxMarkPrice).(*array.Float64Builder)
	iv := b.Field(fIdxInterval).(*array.Int64Builder)
	ct := b.Field(fIdxCalcTime).(*array.TimestampBuilder)
	b.Reserve(len(rows))
	for _, r := range rows {
		ft.Append(arrow.Timestamp(r.FundingTime))
		rate.Append(r.Rate)
		if r.HasMarkPrice {
			mark.Append(r.MarkPrice)
		} else {
			mark.AppendNull()
		}
		if r.HasIntervalHours {
			iv.Append(r.IntervalHours)
		} else {
			iv.AppendNull()
		}
		ct.Append(arrow.Timestamp(r.CalcTime))
	}
	return b.NewRecordBatch()
}

// FundingRates returns the rows of a funding_rate batch.
func FundingRates(rec arrow.RecordBatch) []FundingRate {
	ft := rec.Column(fIdxFundingTime).(*array.Timestamp)
	rate := rec.Column(fIdxRate).(*array.Float64)
	mark := rec.Column(fIdxMarkPrice).(*array.Float64)
	iv := rec.Column(fIdxInterval).(*array.Int64)
	ct := rec.Column(fIdxCalcTime).(*array.Timestamp)
	out := make([]FundingRate, rec.NumRows())
	for i := range out {
		out[i] = FundingRate{FundingTime: int64(ft.Value(i)), Rate: rate.Value(i), CalcTime: int64(ct.Value(i))}
		if mark.IsValid(i) {
			out[i].MarkPrice, out[i].HasMarkPrice = mark.Value(i), true
		}
		if iv.IsValid(i) {
			out[i].IntervalHours, out[i].HasIntervalHours = iv.Value(i), true
		}
	}
	return out
}

// FundingRateData is the funding_rate dataset (SPEC section 8): funding
// settlements of perpetual futures, one file per UTC year, unique and
// sorted by funding_time. Binance's archive calls it fundingRate.
var FundingRateData = &Dataset{
	Name:      "funding_rate",
	Aliases:   []string{"fundingRate"},
	Markets:   []string{"usdm", "coinm"},
	Key:       ColFundingTime,
	Time:      ColFundingTime,
	TimeUnit:  arrow.Millisecond,
	YearFiles: true,
	schema:    func(string) *arrow.Schema { return FundingRateSchema },
	check:     newFundingChecker,
}
