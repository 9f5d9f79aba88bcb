package transform

import (
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// Agg trades CSVs of data.binance.vision, in Binance's column order:
//
//	spot:        agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match (no header)
//	usdm, coinm: agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker (header since 2022-08-11)

// aggTradeFields is the number of fields of an agg trade row of market m.
func aggTradeFields(m tradeMarket) int {
	if m == spotMarket {
		return 8
	}
	return 7
}

// parseAggTradeRow parses one CSV line (without its line break) of market
// m, normalising the time to microseconds. A header row returns
// errTradeHeader. It does not allocate unless the line is bad.
func parseAggTradeRow(line []byte, m tradeMarket) (AggTrade, error) {
	var f [maxTradeFields][]byte
	n := SplitFields(line, f[:])
	if n != aggTradeFields(m) {
		if n > 0 && startsWithLetter(f[0]) {
			return AggTrade{}, errTradeHeader
		}
		return AggTrade{}, fmt.Errorf("%d fields, want %d", n, aggTradeFields(m))
	}
	var a AggTrade
	var err error
	if a.ID, err = ParseInt(f[0]); err != nil {
		if startsWithLetter(f[0]) {
			return AggTrade{}, errTradeHeader
		}
		return a, fieldError(ColAggTradeID, f[0], "an integer")
	}
	if a.Price, err = ParseFloat(f[1]); err != nil {
		return a, fieldError(ColPrice, f[1], "a number")
	}
	if a.Qty, err = ParseFloat(f[2]); err != nil {
		return a, fieldError(ColQty, f[2], "a number")
	}
	if a.FirstTradeID, err = ParseInt(f[3]); err != nil {
		return a, fieldError(ColFirstTradeID, f[3], "an integer")
	}
	if a.LastTradeID, err = ParseInt(f[4]); err != nil {
		return a, fieldError(ColLastTradeID, f[4], "an integer")
	}
	if a.Time, err = ParseInt(f[5]); err != nil {
		return a, fieldError(ColTime, f[5], "an integer")
	}
	a.Time = csvMicros(a.Time)
	var ok bool
	if a.IsBuyerMaker, ok = parseCSVBool(f[6]); !ok {
		return a, fieldError(ColIsBuyerMaker, f[6], "a boolean")
	}
	if m == spotMarket {
		if a.IsBestMatch, ok = parseCSVBool(f[7]); !ok {
			return a, fieldError(ColIsBestMatch, f[7], "a boolean")
		}
	}
	return a, nil
}

// checkAggTradeHeader checks that a header row has market m's fields.
func checkAggTradeHeader(line []byte, m tradeMarket) error {
	var f [maxTradeFields][]byte
	if n := SplitFields(line, f[:]); n != aggTradeFields(m) {
		return fmt.Errorf("header %q has %d fields, want %d", line, n, aggTradeFields(m))
	}
	return nil
}

// appendCSV is the CSV loop's hook: see csvRowAppender.
func (b *AggTradesBuilder) appendCSV(line []byte, lineNo int) error {
	a, err := parseAggTradeRow(line, b.market)
	switch {
	case errors.Is(err, errTradeHeader) && lineNo == 1:
		return checkAggTradeHeader(line, b.market)
	case err != nil:
		b.Rejected.Add(parseRejected(lineNo, err))
	default:
		b.Append(a)
	}
	return nil
}

// ReadAggTradesCSV is ReadTradesCSV for an aggTrades CSV.
func ReadAggTradesCSV(r io.Reader, b *AggTradesBuilder, batchRows int, emit func(arrow.RecordBatch) error) error {
	return readTradeLines(r, b, batchRows, emit)
}
