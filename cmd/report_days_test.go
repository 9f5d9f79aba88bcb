package cmd

import (
	"strings"
	"testing"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

func TestKlineDays(t *testing.T) {
	h := int64(3_600_000)
	d0 := reportTime("2024-03-01T00:00:00Z")
	now := reportTime("2024-03-15T12:00:00Z")
	for _, tc := range []struct {
		name  string
		iv    transform.Interval
		cv    collector.Coverage
		first string
		days  string
		notes map[int]string // checked when given
	}{
		{name: "nothing stored", iv: "1h", cv: collector.Coverage{}, days: ""},
		{
			name: "1h: first and last day count from the first and to the last candle",
			iv:   "1h", cv: collector.Coverage{Stored: true, First: d0 + 20*h, Last: d0 + 24*h + 2*h},
			first: "2024-03-01", days: "cc",
		},
		{
			name: "1h: a hole over midnight makes two partial days; a day wholly in a hole is missing",
			iv:   "1h",
			cv: collector.Coverage{Stored: true, First: d0, Last: d0 + 4*24*h - h,
				Holes: []collector.Range{{Start: d0 + 22*h, End: d0 + 26*h}, {Start: d0 + 48*h, End: d0 + 72*h}}},
			first: "2024-03-01", days: "ppmc",
			notes: map[int]string{0: "2 of 24 candles missing", 1: "2 of 24 candles missing", 2: "24 of 24 candles missing, none stored"},
		},
		{
			name: "1h: a gap at Binance; a day of gap and hole with nothing stored is missing; gap and hole with candles stored is partial",
			iv:   "1h",
			cv: collector.Coverage{Stored: true, First: d0, Last: d0 + 4*24*h - h,
				Holes: []collector.Range{{Start: d0 + 24*h, End: d0 + 36*h}, {Start: d0 + 72*h, End: d0 + 73*h}},
				Gaps: []storage.SourceGap{{From: d0 + 3*h, To: d0 + 5*h}, {From: d0 + 36*h, To: d0 + 48*h}, {From: d0 + 50*h, To: d0 + 51*h},
					{From: d0 + 80*h, To: d0 + 81*h}}},
			first: "2024-03-01", days: "gmgp",
			notes: map[int]string{0: "2 of 24 candles confirmed empty at Binance", 1: "12 of 24 candles missing, none stored (12 confirmed empty at Binance)",
				3: "1 of 24 candles missing, 1 confirmed empty at Binance"},
		},
		{
			name: "1d: a candle a day",
			iv:   "1d", cv: collector.Coverage{Stored: true, First: d0, Last: d0 + 4*24*h,
				Holes: []collector.Range{{Start: d0 + 24*h, End: d0 + 48*h}}, Gaps: []storage.SourceGap{{From: d0 + 72*h, To: d0 + 96*h}}},
			first: "2024-03-01", days: "cmcgc",
		},
		{
			name: "1w: each day takes its candle's status",
			iv:   "1w", cv: collector.Coverage{Stored: true, First: reportTime("2024-01-01T00:00:00Z"), Last: reportTime("2024-01-22T00:00:00Z"),
				Holes: []collector.Range{{Start: reportTime("2024-01-08T00:00:00Z"), End: reportTime("2024-01-15T00:00:00Z")}},
				Gaps:  []storage.SourceGap{{From: reportTime("2024-01-15T00:00:00Z"), To: reportTime("2024-01-22T00:00:00Z")}}},
			first: "2024-01-01", days: "ccccccc" + "mmmmmmm" + "ggggggg" + "ccccccc",
		},
		{
			name: "1M: days until today only",
			iv:   "1M", cv: collector.Coverage{Stored: true, First: reportTime("2024-01-01T00:00:00Z"), Last: reportTime("2024-03-01T00:00:00Z"),
				Holes: []collector.Range{{Start: reportTime("2024-02-01T00:00:00Z"), End: reportTime("2024-03-01T00:00:00Z")}}},
			first: "2024-01-01", days: strings.Repeat("c", 31) + strings.Repeat("m", 29) + strings.Repeat("c", 15),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := klineDays(tc.cv, tc.iv, now)
			if string(got.status) != tc.days {
				t.Fatalf("days %q, want %q", got.status, tc.days)
			}
			if tc.days == "" {
				return
			}
			if f := ms(got.first)[:10]; f != tc.first {
				t.Errorf("first day %s, want %s", f, tc.first)
			}
			for i, st := range got.status {
				if (st == dayComplete) == (got.notes[i] != "") {
					t.Errorf("day %d (%c): note %q", i, st, got.notes[i])
				}
			}
			for i, n := range tc.notes {
				if got.notes[i] != n {
					t.Errorf("day %d: note %q, want %q", i, got.notes[i], n)
				}
			}
		})
	}
}

func TestIDDays(t *testing.T) {
	file := func(day string, rows, minID, maxID int64, meta map[string]string) storage.FileMeta {
		return storage.FileMeta{Key: storage.Key{Dataset: "trades", Market: "spot", Symbol: "BTCUSDT", Period: day},
			Rows: rows, MinKey: minID, MaxKey: maxID, HasStats: rows > 0, Meta: meta}
	}
	gap := map[string]string{storage.MetaSourceGaps: `[{"from":1,"to":2,"confirmed":"2024-03-02T00:00:00Z"}]`}
	series := []storage.FileMeta{
		file("2024-02-28", 0, 0, 0, nil), // empty, before the first day with rows: not drawn
		file("2024-03-01", 10, 1, 10, nil),
		file("2024-03-02", 10, 11, 20, nil),
		file("2024-03-04", 10, 31, 40, nil), // after a missing day: not compared with it
		file("2024-03-05", 10, 45, 54, nil), // ids 41..44 in no file
		file("2024-03-06", 8, 55, 64, nil),  // 2 ids missing inside the day
		file("2024-03-07", 0, 0, 0, gap),    // empty, Binance confirmed it
		file("2024-03-08", 0, 0, 0, nil),    // empty, nothing confirmed
		file("2024-03-09", 10, 65, 74, nil), // follows 03-06 only across two empty days
		file("2024-03-10", 10, 70, 79, nil), // overlaps the day before
		file("2024-03-11", 10, 80, 89, nil), // complete
		file("2024-03-12", 0, 0, 0, nil),    // empty, after the last day with rows: not drawn
	}
	for _, tc := range []struct {
		name       string
		contiguous bool
		days       string
	}{
		{"ids contiguous (spot trades, agg_trades)", true, "ccmcppgmcpc"},
		{"futures trades: ids skip values of their own", false, "ccmcccgmccc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := idDays(series, tc.contiguous)
			if err != nil {
				t.Fatal(err)
			}
			if ms(got.first)[:10] != "2024-03-01" || string(got.status) != tc.days {
				t.Fatalf("from %s: %q, want from 2024-03-01: %q", ms(got.first)[:10], got.status, tc.days)
			}
			if !tc.contiguous {
				return
			}
			for i, want := range map[int]string{
				2: "no rows stored",
				4: "ids 41..44 missing before the day's first id 45",
				5: "2 of ids 55..64 missing",
				6: "no rows: confirmed empty at Binance",
				9: "the day's first id 70 does not follow the previous day's last id 74",
			} {
				if got.notes[i] != want {
					t.Errorf("day %d: note %q, want %q", i, got.notes[i], want)
				}
			}
		})
	}
	if _, err := idDays([]storage.FileMeta{file("2024-03", 1, 1, 1, nil)}, true); err == nil {
		t.Error("a monthly file: no error")
	}
	if d, err := idDays([]storage.FileMeta{file("2024-03-01", 0, 0, 0, nil)}, true); err != nil || len(d.status) != 0 {
		t.Errorf("only empty files: %v %v", d, err)
	}
}

func TestIDsContiguous(t *testing.T) {
	for _, tc := range []struct {
		d      *transform.Dataset
		market string
		want   bool
	}{
		{transform.TradesData, "spot", true},
		{transform.TradesData, "usdm", false},
		{transform.TradesData, "coinm", false},
		{transform.AggTradesData, "spot", true},
		{transform.AggTradesData, "usdm", true},
	} {
		if got := idsContiguous(tc.d, tc.market); got != tc.want {
			t.Errorf("%s %s: %v", tc.d.Name, tc.market, got)
		}
	}
}

func TestCoverageRule(t *testing.T) {
	for _, tc := range []struct {
		d    *transform.Dataset
		want string
	}{
		{transform.Klines, ruleCandles},
		{transform.TradesData, ruleIDs},
		{transform.AggTradesData, ruleIDs},
		// Derived shapes get no calendar rather than a wrong one: bars by
		// interval keyed by a trade id, a row a day in yearly files.
		{&transform.Dataset{Name: "bars", Intervals: true, Key: "first_trade_id", Time: "last_trade_time", DailyFiles: true}, ""},
		{&transform.Dataset{Name: "daily", Key: "day", Time: "day"}, ""},
	} {
		if got := coverageRule(tc.d); got != tc.want {
			t.Errorf("%s: rule %q, want %q", tc.d.Name, got, tc.want)
		}
	}
}
