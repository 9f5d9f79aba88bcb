package transform

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
)

// What the trades and agg_trades CSVs of data.binance.vision share (SPEC
// section 8): spot files never have a header, futures files since
// 2022-08-11 do (detected, not assumed: only the first line may be one);
// booleans are True/False in spot files and true/false in futures ones
// (both spellings are accepted everywhere); times are milliseconds, except
// spot files from 2025-01-01 on, which are microseconds (detected per row by
// magnitude). Everything is stored in microseconds.

// Row error types of the trade datasets, besides ErrParse; bounded so they
// can be metric attributes.
const (
	ErrPrice      = "price"       // price not a finite number > 0
	ErrQuantity   = "quantity"    // a quantity not a finite number >= 0
	ErrTime       = "time"        // time not after the epoch or absurdly far ahead
	ErrIDOrder    = "id_order"    // id not above the previous id of the file
	ErrTradeRange = "trade_range" // agg trade whose first_trade_id > last_trade_id
)

// Time limits of a trade, in microseconds: after the epoch, and below
// 1e17 µs (the year 5138), so a microsecond time read as milliseconds (and
// multiplied again) is rejected instead of stored 1000 times too late.
const maxTimeMicros = 100_000_000_000_000_000

// TimeUnitFromHeader is the unit of the times in a REST response, from its
// X-MBX-TIME-UNIT header: microseconds for MICROSECOND, else milliseconds.
func TimeUnitFromHeader(v string) arrow.TimeUnit {
	if v == "MICROSECOND" || v == "microsecond" {
		return arrow.Microsecond
	}
	return arrow.Millisecond
}

// toMicros converts a time in unit (milliseconds or microseconds) to
// microseconds.
func toMicros(t int64, unit arrow.TimeUnit) int64 {
	if unit == arrow.Millisecond {
		if t > maxTimeMicros/1000 || t < -maxTimeMicros/1000 {
			return maxTimeMicros // out of range either way; avoids overflow
		}
		return t * 1000
	}
	return t
}

// csvMicros normalises an archive time by its magnitude: a millisecond time
// only reaches 1e14 in the year 5138, a microsecond one passed it in 1973.
func csvMicros(t int64) int64 {
	if t < microsThreshold {
		return toMicros(t, arrow.Millisecond)
	}
	return t
}

const microsThreshold = 100_000_000_000_000

// checkTime and checkPrice report whether a value may be stored;
// quantities are checked with nonNegativeFinite.
func checkTime(us int64) bool   { return us > 0 && us < maxTimeMicros }
func checkPrice(p float64) bool { return p > 0 && p <= math.MaxFloat64 }

// maxTradeFields bounds the fields of a trade row (spot agg trades have 8).
const maxTradeFields = 8

// parseCSVBool reads True/False (spot) or true/false (futures).
func parseCSVBool(s []byte) (v, ok bool) {
	switch len(s) {
	case 4:
		return true, s[0]|0x20 == 't' && string(s[1:]) == "rue"
	case 5:
		return false, s[0]|0x20 == 'f' && string(s[1:]) == "alse"
	}
	return false, false
}

// errTradeHeader marks a line that is a header row rather than a trade.
var errTradeHeader = errors.New("header row")

// startsWithLetter reports whether a first field is a column name rather
// than a number (Binance's headers say id or agg_trade_id).
func startsWithLetter(s []byte) bool {
	s = bytes.TrimPrefix(s, []byte("\ufeff"))
	return len(s) > 0 && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z')
}

// fieldError describes a field that is not what its column holds.
func fieldError(name string, v []byte, want string) error {
	return fmt.Errorf("%s %q is not %s", name, v, want)
}

// DefaultBatchRows is how many rows a CSV reader puts in one record batch
// when the caller does not say: 64Ki trade rows are about 3.5 MiB of Arrow
// buffers, a good Parquet row group, and nowhere near a whole file.
const DefaultBatchRows = 64 << 10

// tradeLineLimit bounds one line; a trade row is under 120 bytes, so
// anything longer is a corrupt file, not a reason to grow a buffer.
const tradeLineLimit = 4096

// csvRowAppender is what the trades and agg_trades builders offer the
// shared CSV loop.
type csvRowAppender interface {
	// appendCSV parses, validates and appends one line (no line break) or
	// counts it as rejected; an error is fatal for the file (a header that
	// does not match the market).
	appendCSV(line []byte, lineNo int) error
	startFile()
	Len() int
	Reserve(n int)
	NewRecord() arrow.RecordBatch
}

// readTradeLines streams r's lines into a, emitting a record batch every
// batchRows rows and the rest at the end. emit does not own the batch: it
// is released when emit returns (emit retains it to keep it).
func readTradeLines(r io.Reader, a csvRowAppender, batchRows int, emit func(arrow.RecordBatch) error) error {
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	flush := func(more bool) error {
		rec := a.NewRecord()
		defer rec.Release()
		if more {
			// A file that fills one batch likely fills the next: take its
			// room at once instead of doubling up to it again.
			a.Reserve(batchRows)
		}
		return emit(rec)
	}
	a.startFile()
	next := lineReader(r, tradeLineLimit)
	for lineNo := 1; ; lineNo++ {
		b, err := next()
		if errors.Is(err, errLineTooLong) || len(b) > tradeLineLimit {
			return fmt.Errorf("line %d: longer than %d bytes", lineNo, tradeLineLimit)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
		line := b
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > 0 {
			if perr := a.appendCSV(line, lineNo); perr != nil {
				return fmt.Errorf("line %d: %w", lineNo, perr)
			}
			if a.Len() >= batchRows {
				if ferr := flush(true); ferr != nil {
					return ferr
				}
			}
		}
		if err != nil { // io.EOF after the last line
			break
		}
	}
	if a.Len() > 0 {
		return flush(false)
	}
	return nil
}

// parseRejected is the RowError of a line that could not be parsed.
func parseRejected(lineNo int, err error) *RowError {
	return &RowError{Type: ErrParse, Detail: fmt.Sprintf("line %d: %v", lineNo, err)}
}
