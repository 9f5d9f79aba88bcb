package collector

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// Kline CSVs of data.binance.vision have the REST columns in the REST order:
// open_time,open,high,low,close,volume,close_time,quote_volume,count,
// taker_buy_volume,taker_buy_quote_volume,ignore. Newer futures files start
// with that header row; spot and older futures files do not. Spot files from
// 2025-01-01 on carry open and close times in microseconds.

// microsThreshold separates the two time units by magnitude: a millisecond
// time only reaches 1e14 in the year 5138, a microsecond one passed it in 1973.
const microsThreshold = 100_000_000_000_000

// errHeader marks a line that is a header row rather than a candle.
var errHeader = errors.New("header row")

// csvFloatColumns are the decimal columns of a kline row: the field index
// and its name for error messages.
var csvFloatColumns = [...]struct {
	i    int
	name string
}{
	{1, "open"}, {2, "high"}, {3, "low"}, {4, "close"}, {5, "volume"},
	{7, "quote_volume"}, {9, "taker_buy_volume"}, {10, "taker_buy_quote_volume"},
}

// parseCSVRow parses one CSV line (without its line break) into a candle,
// normalising microsecond times to milliseconds. A header row (its first
// field is not a number but a name) returns errHeader. It does not allocate
// unless the line is bad.
func parseCSVRow(line []byte) (transform.Kline, error) {
	var f [12][]byte
	n := transform.SplitFields(line, f[:])
	if n > len(f) {
		return transform.Kline{}, fmt.Errorf("more than %d fields", len(f))
	}
	// The trailing "ignore" column is optional: it carries nothing.
	if n < 11 {
		if n > 0 && isHeaderField(f[0]) {
			return transform.Kline{}, errHeader
		}
		return transform.Kline{}, fmt.Errorf("%d fields, want 12", n)
	}
	var k transform.Kline
	var err error
	if k.OpenTime, err = transform.ParseInt(f[0]); err != nil {
		if isHeaderField(f[0]) {
			return transform.Kline{}, errHeader
		}
		return transform.Kline{}, fmt.Errorf("open_time %q is not an integer", f[0])
	}
	if k.CloseTime, err = transform.ParseInt(f[6]); err != nil {
		return k, fmt.Errorf("close_time %q is not an integer", f[6])
	}
	if k.Trades, err = transform.ParseInt(f[8]); err != nil {
		return k, fmt.Errorf("count %q is not an integer", f[8])
	}
	var v [len(csvFloatColumns)]float64
	for j, c := range csvFloatColumns {
		if v[j], err = transform.ParseFloat(f[c.i]); err != nil {
			return k, fmt.Errorf("%s %q is not a number", c.name, f[c.i])
		}
	}
	k.Open, k.High, k.Low, k.Close, k.Volume = v[0], v[1], v[2], v[3], v[4]
	k.QuoteVolume, k.TakerBuyBase, k.TakerBuyQuote = v[5], v[6], v[7]
	// Both times switch unit together; normalise each by its own magnitude
	// so a row can never end up half converted.
	if k.OpenTime >= microsThreshold {
		k.OpenTime /= 1000
	}
	if k.CloseTime >= microsThreshold {
		k.CloseTime /= 1000
	}
	// A time still that large was neither milliseconds nor microseconds
	// (nanoseconds, or garbage): refuse the row rather than store year 5138.
	if k.OpenTime >= microsThreshold || k.CloseTime >= microsThreshold {
		return k, fmt.Errorf("open_time %d / close_time %d is neither milliseconds nor microseconds", k.OpenTime, k.CloseTime)
	}
	return k, nil
}

// isHeaderField reports whether a first field is a column name: it starts
// with a letter (Binance's header says open_time).
func isHeaderField(s []byte) bool {
	s = bytes.TrimPrefix(s, []byte("\ufeff"))
	return len(s) > 0 && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
}

// csvLineLimit bounds one line; a kline row is under 200 bytes, so anything
// longer is a corrupt file, not a reason to grow a buffer without end.
const csvLineLimit = 4096

// readCSV streams the rows of a kline CSV to row, line by line, without
// holding more than one line. Only the first line may be a header.
func readCSV(r io.Reader, row func(transform.Kline) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || len(b) > csvLineLimit {
			return fmt.Errorf("line %d: longer than %d bytes", lineNo, csvLineLimit)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
		if line := bytes.TrimRight(b, "\r\n"); len(line) > 0 {
			k, perr := parseCSVRow(line)
			switch {
			case errors.Is(perr, errHeader) && lineNo == 1:
			case perr != nil:
				return fmt.Errorf("line %d: %w", lineNo, perr)
			default:
				if err := row(k); err != nil {
					return err
				}
			}
		}
		if err != nil { // io.EOF after the last line
			return nil
		}
	}
}
