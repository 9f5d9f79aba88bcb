package transform

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestReadFundingCSV(t *testing.T) {
	// Binance's layout; calc_time a few ms after the hour; one bad row,
	// one absurd rate, CRLF line ends.
	csv := "calc_time,funding_interval_hours,last_funding_rate\r\n" +
		"1704096000002,8,-0.00002163\r\n" +
		"1704067200000,8,0.00037409\r\n" +
		"17040x,8,0.1\r\n" +
		"1704124800001,8,1.5\r\n" +
		"1704124800003,4,0.00010000\r\n"
	var rej Rejections
	rows, err := ReadFundingCSV(strings.NewReader(csv), &rej)
	if err != nil {
		t.Fatal(err)
	}
	want := []FundingRate{
		{FundingTime: 1704067200000, Rate: 0.00037409, IntervalHours: 8, HasIntervalHours: true, CalcTime: 1704067200000},
		{FundingTime: 1704096000000, Rate: -0.00002163, IntervalHours: 8, HasIntervalHours: true, CalcTime: 1704096000002},
		{FundingTime: 1704124800000, Rate: 0.0001, IntervalHours: 4, HasIntervalHours: true, CalcTime: 1704124800003},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, rows[i], want[i])
		}
	}
	if r := rej.ByReason(); r[ErrParse] != 1 || r[ErrFundingRate] != 1 {
		t.Errorf("rejects %v, want one parse and one funding_rate", r)
	}
	for _, bad := range []string{"open_time,open,high\n1,2,3\n", "calc_time,funding_interval_hours\n", strings.Repeat("1", 5000) + "\n"} {
		if _, err := ReadFundingCSV(strings.NewReader(bad), &rej); err == nil {
			t.Errorf("%.40q read without error", bad)
		}
	}
}

func TestParseFundingPage(t *testing.T) {
	page := `[{"symbol":"BTCUSDT","fundingTime":1698739200001,"fundingRate":"0.00010000","markPrice":"34287.54619963"},
		{"symbol":"BTCUSDT","fundingTime":1568102400000,"fundingRate":"0.00010000","markPrice":""},
		{"symbol":"BTCUSDT","fundingTime":1698768000000,"fundingRate":"x","markPrice":"1"}]`
	var rej Rejections
	rows, n, err := ParseFundingPage([]byte(page), &rej)
	if err != nil || n != 3 || len(rows) != 2 || rej.Total() != 1 {
		t.Fatalf("rows %+v, n %d, rejected %d, err %v", rows, n, rej.Total(), err)
	}
	if r := rows[0]; r.FundingTime != 1568102400000 || r.HasMarkPrice || r.HasIntervalHours {
		t.Errorf("old settlement %+v: want no mark price", r)
	}
	if r := rows[1]; r.FundingTime != 1698739200000 || r.CalcTime != 1698739200001 || !r.HasMarkPrice || r.MarkPrice != 34287.54619963 {
		t.Errorf("settlement %+v", r)
	}
	if _, _, err := ParseFundingPage([]byte(`{"code":-1121}`), &rej); err == nil {
		t.Error("an error object parsed as a page")
	}
}

func TestMergeFundingRates(t *testing.T) {
	archive := []FundingRate{
		{FundingTime: 0, Rate: 1e-4, IntervalHours: 8, HasIntervalHours: true, CalcTime: 0},
		{FundingTime: 8 * hourMs, Rate: 2e-4, IntervalHours: 8, HasIntervalHours: true, CalcTime: 8*hourMs + 2},
	}
	rest := []FundingRate{
		{FundingTime: 8 * hourMs, Rate: 2e-4, MarkPrice: 100, HasMarkPrice: true, CalcTime: 8*hourMs + 1},
		{FundingTime: 16 * hourMs, Rate: 3e-4, MarkPrice: 101, HasMarkPrice: true, CalcTime: 16 * hourMs},
	}
	got, st := MergeFundingRates(archive, rest)
	if st.Added != 1 || st.Replaced != 1 || st.Rows != 3 || len(got) != 3 {
		t.Fatalf("stats %+v, rows %+v", st, got)
	}
	// The settlement both hold: REST's values, the archive's interval kept.
	if m := got[1]; !m.HasMarkPrice || m.MarkPrice != 100 || !m.HasIntervalHours || m.IntervalHours != 8 || m.CalcTime != 8*hourMs+1 {
		t.Errorf("merged %+v", m)
	}
	// Merging the result again changes nothing.
	if _, st := MergeFundingRates(got, rest); st.Added != 0 || st.Replaced != 0 {
		t.Errorf("second merge %+v", st)
	}
	// A batch round-trips, nulls included.
	rec := FundingRecord(memory.DefaultAllocator, got)
	defer rec.Release()
	if !FundingRateData.Conforms("usdm", rec.Schema()) || rec.Column(2).NullN() != 1 || rec.Column(3).NullN() != 1 {
		t.Fatalf("record %v", rec)
	}
	back := FundingRates(rec)
	for i := range got {
		if back[i] != got[i] {
			t.Errorf("row %d: %+v, want %+v", i, back[i], got[i])
		}
	}
}

const hourMs = int64(3_600_000)

func TestFundingChecker(t *testing.T) {
	at := func(h int64, iv int64) FundingRate {
		f := FundingRate{FundingTime: h * hourMs, Rate: 1e-4, CalcTime: h*hourMs + 3}
		if iv > 0 {
			f.IntervalHours, f.HasIntervalHours = iv, true
		}
		return f
	}
	cases := []struct {
		name string
		rows []FundingRate
		want []string // problem kinds
	}{
		{"8h schedule", []FundingRate{at(0, 8), at(8, 8), at(16, 8)}, nil},
		{"interval shortened to 4h", []FundingRate{at(0, 8), at(8, 8), at(12, 4), at(16, 4)}, nil},
		{"REST rows follow the last interval", []FundingRate{at(0, 4), at(4, 0), at(8, 0)}, nil},
		{"a missing settlement", []FundingRate{at(0, 8), at(16, 8)}, []string{ProblemFundingGap}},
		{"REST rows, 8h by default", []FundingRate{at(0, 0), at(8, 0), at(24, 0)}, []string{ProblemFundingGap}},
		{"duplicate", []FundingRate{at(0, 8), at(0, 8)}, []string{ProblemDuplicate}},
		{"calc_time not in the second", []FundingRate{{FundingTime: 0, Rate: 1e-4, CalcTime: 1500}}, []string{ProblemFundingTime}},
	}
	for _, tc := range cases {
		c := FundingRateData.Checker(CheckScope{Market: "usdm"})
		rec := FundingRecord(memory.DefaultAllocator, tc.rows)
		c.StartFile(FileInfo{Period: "1970"})
		var kinds []string
		for _, p := range append(c.Check(rec), c.EndFile()...) {
			kinds = append(kinds, p.Kind)
		}
		rec.Release()
		c.Close()
		if strings.Join(kinds, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: problems %v, want %v", tc.name, kinds, tc.want)
		}
	}
}
