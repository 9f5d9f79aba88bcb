package transform

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Sources of funding rates:
//
//   - data.binance.vision's monthly fundingRate CSVs (usdm and coinm), with
//     a header row: calc_time,funding_interval_hours,last_funding_rate
//     (calc_time in ms). Read whole: a month is about 90 rows.
//   - REST GET /fapi/v1/fundingRate and /dapi/v1/fundingRate, a JSON array
//     of {"symbol","fundingTime","fundingRate","markPrice"}, decimals as
//     strings; markPrice is "" for old settlements.

// fundingCSVHeader is the archive's header, in Binance's column order.
var fundingCSVHeader = []string{"calc_time", "funding_interval_hours", "last_funding_rate"}

// maxFundingLine bounds one CSV line; a longer one is not a funding file.
const maxFundingLine = 4 << 10

// ReadFundingCSV reads a fundingRate CSV of data.binance.vision (unzipped):
// its rows sorted and unique by funding_time. A header row, if any, must
// name Binance's columns; rows that fail parsing or validation are counted
// in rej and skipped. An I/O error, an overlong line or another header is
// an error.
func ReadFundingCSV(r io.Reader, rej *Rejections) ([]FundingRate, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxFundingLine)
	var rows []FundingRate
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := bytes.TrimRight(sc.Bytes(), "\r")
		if len(line) == 0 {
			continue
		}
		var f [4][]byte
		n := SplitFields(line, f[:])
		if lineNo == 1 && startsWithLetter(line) {
			if err := checkFundingHeader(f[:min(n, len(f))]); err != nil {
				return nil, err
			}
			continue
		}
		if n != len(fundingCSVHeader) {
			rej.Add(parseRejected(lineNo, fmt.Errorf("%d fields, want %d", n, len(fundingCSVHeader))))
			continue
		}
		calc, err := ParseInt(f[0])
		if err != nil {
			rej.Add(parseRejected(lineNo, fieldError(ColCalcTime, f[0], "an integer")))
			continue
		}
		hours, err := ParseInt(f[1])
		if err != nil {
			rej.Add(parseRejected(lineNo, fieldError(ColFundingIntervalHours, f[1], "an integer")))
			continue
		}
		rate, err := ParseFloat(f[2])
		if err != nil {
			rej.Add(parseRejected(lineNo, fieldError("last_funding_rate", f[2], "a number")))
			continue
		}
		fr := NewFundingRate(calc, rate)
		fr.IntervalHours, fr.HasIntervalHours = hours, true
		if e := fundingRateError(fr); e != nil {
			rej.Add(e)
			continue
		}
		rows = append(rows, fr)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("a line longer than %d bytes: not a fundingRate CSV", maxFundingLine)
		}
		return nil, err
	}
	return SortFundingRates(rows), nil
}

// checkFundingHeader checks a header row names Binance's columns.
func checkFundingHeader(f [][]byte) error {
	if len(f) == len(fundingCSVHeader) {
		ok := true
		for i, name := range fundingCSVHeader {
			ok = ok && string(bytes.ToLower(bytes.TrimSpace(f[i]))) == name
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("header %q is not %s: not a fundingRate CSV", bytes.Join(f, []byte(",")), bytes.Join(toBytes(fundingCSVHeader), []byte(",")))
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// RawFundingRate is one settlement of GET /fapi|dapi/v1/fundingRate.
type RawFundingRate struct {
	Symbol      string `json:"symbol"`
	FundingTime int64  `json:"fundingTime"`
	FundingRate string `json:"fundingRate"`
	MarkPrice   string `json:"markPrice"`
}

// ParseFundingPage decodes a fundingRate page: its valid rows sorted and
// unique by funding_time, and the number of rows in the page (accepted or
// not). Rows that fail parsing or validation are counted in rej; a page
// that is not a JSON array of settlements is an error.
func ParseFundingPage(page []byte, rej *Rejections) ([]FundingRate, int, error) {
	var raw []RawFundingRate
	if err := json.Unmarshal(page, &raw); err != nil {
		return nil, 0, fmt.Errorf("fundingRate page: %w", err)
	}
	rows := make([]FundingRate, 0, len(raw))
	for _, r := range raw {
		rate, err := ParseFloat(r.FundingRate)
		if err != nil {
			rej.Add(&RowError{OpenTime: r.FundingTime, Type: ErrParse, Detail: fmt.Sprintf("fundingRate %q is not a number", r.FundingRate)})
			continue
		}
		fr := NewFundingRate(r.FundingTime, rate)
		if r.MarkPrice != "" {
			if fr.MarkPrice, err = ParseFloat(r.MarkPrice); err != nil {
				rej.Add(&RowError{OpenTime: r.FundingTime, Type: ErrParse, Detail: fmt.Sprintf("markPrice %q is not a number", r.MarkPrice)})
				continue
			}
			fr.HasMarkPrice = true
		}
		if e := fundingRateError(fr); e != nil {
			rej.Add(e)
			continue
		}
		rows = append(rows, fr)
	}
	return SortFundingRates(rows), len(raw), nil
}
