package transform

import (
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// REST pages of the trade datasets: spot GET /api/v3/historicalTrades
// ([]RawTrade) and GET /api/v3/aggTrades, /fapi|dapi/v1/aggTrades
// ([]RawAggTrade), JSON arrays whose times are milliseconds, or
// microseconds when the response says X-MBX-TIME-UNIT: MICROSECOND (see
// TimeUnitFromHeader). A page is at most 1000 rows, so it is decoded whole.

// AppendJSONPage decodes a historicalTrades page, then validates and
// appends its rows like AppendRaw. It returns the number of rows in the
// page (accepted or not); a page that is not a JSON array of trades is an
// error and appends nothing.
func (b *TradesBuilder) AppendJSONPage(page []byte, unit arrow.TimeUnit) (int, error) {
	return appendJSONPage[RawTrade](b, "trades", page, unit)
}

// AppendJSONPage decodes an aggTrades page, then validates and appends its
// rows like AppendRaw; see TradesBuilder.AppendJSONPage.
func (b *AggTradesBuilder) AppendJSONPage(page []byte, unit arrow.TimeUnit) (int, error) {
	return appendJSONPage[RawAggTrade](b, "aggTrades", page, unit)
}

// rawAppender is a trade builder as a REST page fills it, with rows of R.
type rawAppender[R any] interface {
	Reserve(n int)
	AppendRaw(r R, unit arrow.TimeUnit) bool
}

// appendJSONPage decodes a page of what (a JSON array of R) and appends
// its rows to b.
func appendJSONPage[R any](b rawAppender[R], what string, page []byte, unit arrow.TimeUnit) (int, error) {
	var rows []R
	if err := json.Unmarshal(page, &rows); err != nil {
		return 0, fmt.Errorf("%s page: %w", what, err)
	}
	b.Reserve(len(rows))
	for _, r := range rows {
		b.AppendRaw(r, unit)
	}
	return len(rows), nil
}
