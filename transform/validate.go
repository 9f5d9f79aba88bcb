package transform

import (
	"fmt"
	"math"
	"time"
)

// Row error types; bounded so they can be metric attributes.
const (
	ErrParse      = "parse"
	ErrOHLC       = "ohlc"
	ErrVolume     = "negative_volume"
	ErrCloseTime  = "close_time"
	ErrMisaligned = "misaligned"
)

// RowError describes a candle that was not stored and why.
type RowError struct {
	OpenTime int64
	Type     string
	Detail   string
}

func (e *RowError) Error() string {
	return fmt.Sprintf("candle %s: %s: %s", time.UnixMilli(e.OpenTime).UTC().Format(time.RFC3339), e.Type, e.Detail)
}

// Validate checks one candle of interval iv: open time on the interval grid,
// close time = next open - 1 ms, low <= open,close <= high, no negative or
// non-finite volumes or counts.
func Validate(iv Interval, k Kline) *RowError {
	if !iv.Aligned(k.OpenTime) {
		return misaligned(iv, k)
	}
	if want := iv.CloseTime(k.OpenTime); k.CloseTime != want {
		return badCloseTime(k, want)
	}
	return validateValues(k)
}

// validateStep is Validate for an interval of a fixed length of step ms
// whose grid starts at the epoch (1s to 1d): no lookups per row.
func validateStep(iv Interval, step int64, k Kline) *RowError {
	if k.OpenTime%step != 0 {
		return misaligned(iv, k)
	}
	if want := k.OpenTime + step - 1; k.CloseTime != want {
		return badCloseTime(k, want)
	}
	return validateValues(k)
}

func misaligned(iv Interval, k Kline) *RowError {
	return rowError(k, ErrMisaligned, "open time %d is not on the %s grid", k.OpenTime, iv)
}

func badCloseTime(k Kline, want int64) *RowError {
	return rowError(k, ErrCloseTime, "close time %d, want %d", k.CloseTime, want)
}

func rowError(k Kline, typ, format string, args ...any) *RowError {
	return &RowError{OpenTime: k.OpenTime, Type: typ, Detail: fmt.Sprintf(format, args...)}
}

// validateValues checks prices, volumes and the trade count.
func validateValues(k Kline) *RowError {
	for _, v := range [...]float64{k.Open, k.High, k.Low, k.Close} {
		if !nonNegativeFinite(v) {
			return rowError(k, ErrOHLC, "price %v is not a finite non-negative number", v)
		}
	}
	if k.Low > k.High || k.Low > math.Min(k.Open, k.Close) || k.High < math.Max(k.Open, k.Close) {
		return rowError(k, ErrOHLC, "open %v high %v low %v close %v", k.Open, k.High, k.Low, k.Close)
	}
	for _, v := range [...]float64{k.Volume, k.QuoteVolume, k.TakerBuyBase, k.TakerBuyQuote} {
		if !nonNegativeFinite(v) {
			return rowError(k, ErrVolume, "volume %v is not a finite non-negative number", v)
		}
	}
	if k.Trades < 0 {
		return rowError(k, ErrVolume, "trade count %d is negative", k.Trades)
	}
	return nil
}

// nonNegativeFinite is false for NaN (every comparison with it is false),
// negative numbers and infinities.
func nonNegativeFinite(v float64) bool { return v >= 0 && v <= math.MaxFloat64 }
