package transform

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// Trade CSVs of data.binance.vision, in Binance's column order:
//
//	spot:  id,price,qty,quoteQty,time,isBuyerMaker,isBestMatch   (no header)
//	usdm:  id,price,qty,quote_qty,time,is_buyer_maker            (header since 2022-08-11)
//	coinm: id,price,qty,base_qty,time,is_buyer_maker             (header since 2022-08-11)

// tradeFields is the number of fields of a trade row of market m.
func tradeFields(m tradeMarket) int {
	if m == spotMarket {
		return 7
	}
	return 6
}

// parseTradeRow parses one CSV line (without its line break) of market m,
// normalising the time to microseconds. A header row returns
// errTradeHeader. It does not allocate unless the line is bad.
func parseTradeRow(line []byte, m tradeMarket) (Trade, error) {
	if t, ok := scanTradeRow(line, m); ok {
		return t, nil
	}
	var f [maxTradeFields][]byte
	n := SplitFields(line, f[:])
	if n != tradeFields(m) {
		if n > 0 && startsWithLetter(f[0]) {
			return Trade{}, errTradeHeader
		}
		return Trade{}, fmt.Errorf("%d fields, want %d", n, tradeFields(m))
	}
	return parseTradeRowFields(f[:n], m)
}

// parseTradeRowFields parses the fields of a row of market m, as many as
// the market has.
func parseTradeRowFields(f [][]byte, m tradeMarket) (Trade, error) {
	var t Trade
	var err error
	if t.ID, err = ParseInt(f[0]); err != nil {
		if startsWithLetter(f[0]) {
			return Trade{}, errTradeHeader
		}
		return t, fieldError(ColID, f[0], "an integer")
	}
	if t.Price, err = ParseFloat(f[1]); err != nil {
		return t, fieldError(ColPrice, f[1], "a number")
	}
	if t.Qty, err = ParseFloat(f[2]); err != nil {
		return t, fieldError(ColQty, f[2], "a number")
	}
	if t.QuoteQty, err = ParseFloat(f[3]); err != nil {
		return t, fieldError(tradeQtyColumn(m), f[3], "a number")
	}
	if t.Time, err = ParseInt(f[4]); err != nil {
		return t, fieldError(ColTime, f[4], "an integer")
	}
	t.Time = csvMicros(t.Time)
	var ok bool
	if t.IsBuyerMaker, ok = parseCSVBool(f[5]); !ok {
		return t, fieldError(ColIsBuyerMaker, f[5], "a boolean")
	}
	if m == spotMarket {
		if t.IsBestMatch, ok = parseCSVBool(f[6]); !ok {
			return t, fieldError(ColIsBestMatch, f[6], "a boolean")
		}
	}
	return t, nil
}

// scanTradeRow is parseTradeRow's fast path, for a row as Binance writes
// it (csvscan.go): ok is false for anything else, which parseTradeRow then
// parses field by field.
func scanTradeRow(line []byte, m tradeMarket) (t Trade, ok bool) {
	i := 0
	if t.ID, i, ok = scanUint(line, i); !ok {
		return t, false
	}
	if t.Price, i, ok = scanDecimal(line, i); !ok {
		return t, false
	}
	if t.Qty, i, ok = scanDecimal(line, i); !ok {
		return t, false
	}
	if t.QuoteQty, i, ok = scanDecimal(line, i); !ok {
		return t, false
	}
	if t.Time, i, ok = scanUint(line, i); !ok {
		return t, false
	}
	t.Time = csvMicros(t.Time)
	if t.IsBuyerMaker, i, ok = scanBool(line, i); !ok {
		return t, false
	}
	if m == spotMarket {
		if t.IsBestMatch, i, ok = scanBool(line, i); !ok {
			return t, false
		}
	}
	// The last field ends the line: no comma (another field) after it.
	return t, i == len(line) && line[i-1] != ','
}

// tradeQtyColumn names the fourth column of market m.
func tradeQtyColumn(m tradeMarket) string {
	if m == coinmMarket {
		return ColBaseQty
	}
	return ColQuoteQty
}

// checkTradeHeader checks that a header row describes market m's file: as
// many fields, and a base quantity exactly in coinm (a COIN-M file read as
// usdm would otherwise store base quantities as quote quantities).
func checkTradeHeader(line []byte, m tradeMarket) error {
	var f [maxTradeFields][]byte
	n := SplitFields(line, f[:])
	if n != tradeFields(m) {
		return fmt.Errorf("header %q has %d fields, want %d", line, n, tradeFields(m))
	}
	lower := bytes.ToLower(f[3])
	if base := bytes.Contains(lower, []byte("base")); base != (m == coinmMarket) {
		return fmt.Errorf("header %q: column 4 is not %s", line, tradeQtyColumn(m))
	}
	return nil
}

// appendCSV is the CSV loop's hook: see csvRowAppender.
func (b *TradesBuilder) appendCSV(line []byte, lineNo int) error {
	t, err := parseTradeRow(line, b.market)
	switch {
	case errors.Is(err, errTradeHeader) && lineNo == 1:
		return checkTradeHeader(line, b.market)
	case err != nil:
		b.Rejected.Add(parseRejected(lineNo, err))
	default:
		b.Append(t)
	}
	return nil
}

// ReadTradesCSV streams a trades CSV of data.binance.vision (unzipped) into
// b, whose market says the file's shape, and calls emit with a record batch
// of every batchRows rows (DefaultBatchRows if <= 0) and with the rest at
// the end; it never holds more than one batch. emit does not own the batch:
// it is released when emit returns. Rows that fail parsing or validation
// are counted in b.Rejected and skipped; an I/O error, an overlong line or
// a header of another market's file is an error.
func ReadTradesCSV(r io.Reader, b *TradesBuilder, batchRows int, emit func(arrow.RecordBatch) error) error {
	return readTradeLines(r, b, batchRows, emit)
}
