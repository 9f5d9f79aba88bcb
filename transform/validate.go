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
	bad := func(typ, format string, args ...any) *RowError {
		return &RowError{OpenTime: k.OpenTime, Type: typ, Detail: fmt.Sprintf(format, args...)}
	}
	if !iv.Aligned(k.OpenTime) {
		return bad(ErrMisaligned, "open time %d is not on the %s grid", k.OpenTime, iv)
	}
	if want := iv.CloseTime(k.OpenTime); k.CloseTime != want {
		return bad(ErrCloseTime, "close time %d, want %d", k.CloseTime, want)
	}
	for _, v := range [...]float64{k.Open, k.High, k.Low, k.Close} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return bad(ErrOHLC, "price %v is not a finite non-negative number", v)
		}
	}
	if k.Low > k.High || k.Low > math.Min(k.Open, k.Close) || k.High < math.Max(k.Open, k.Close) {
		return bad(ErrOHLC, "open %v high %v low %v close %v", k.Open, k.High, k.Low, k.Close)
	}
	for _, v := range [...]float64{k.Volume, k.QuoteVolume, k.TakerBuyBase, k.TakerBuyQuote} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return bad(ErrVolume, "volume %v is not a finite non-negative number", v)
		}
	}
	if k.Trades < 0 {
		return bad(ErrVolume, "trade count %d is negative", k.Trades)
	}
	return nil
}
