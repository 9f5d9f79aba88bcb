package transform

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func readAggTrades(t *testing.T, mem memory.Allocator, market, csv string, batchRows int) ([]AggTrade, *Rejections, error) {
	t.Helper()
	b, err := NewAggTradesBuilder(mem, market)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	var rows []AggTrade
	err = ReadAggTradesCSV(strings.NewReader(csv), b, batchRows, func(rec arrow.RecordBatch) error {
		if !rec.Schema().Equal(b.Schema()) {
			t.Errorf("batch schema %s, want %s", rec.Schema(), b.Schema())
		}
		rows = append(rows, AggTrades(rec)...)
		return nil
	})
	return rows, &b.Rejected, err
}

func TestReadAggTradesCSVFixtures(t *testing.T) {
	cases := []struct {
		file, market string
		want         []AggTrade
	}{
		{"spot-aggtrades-2020-ms.csv", "spot", []AggTrade{
			{0, 0.2, 50, 0, 0, 1608872400000000, false, true},
			{1, 0.2001, 10, 1, 3, 1608872400125000, true, true},
		}},
		{"spot-aggtrades-2025-us.csv", "spot", []AggTrade{
			{3370000000, 94591.79, 0.0001, 4400000000, 4400000000, 1735689600001234, true, true},
			{3370000001, 94591.8, 0.02147, 4400000001, 4400000002, 1735689600001234, false, true},
		}},
		{"usdm-aggtrades-header.csv", "usdm", []AggTrade{
			{26129, 0.01633102, 4.70443515, 27781, 27781, 1498793709153000, true, false},
			{26130, 0.016332, 1, 27782, 27785, 1498793709200000, false, false},
		}},
		{"coinm-aggtrades-noheader.csv", "coinm", []AggTrade{
			{26129, 9635, 7, 27781, 27783, 1591250192508000, true, false},
			{26130, 9635.1, 1, 27784, 27784, 1591250192600000, false, false},
		}},
	}
	for _, tc := range cases {
		for _, batch := range []int{0, 1} {
			t.Run(tc.file, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				got, rej, err := readAggTrades(t, mem, tc.market, fixture(t, tc.file), batch)
				if err != nil {
					t.Fatal(err)
				}
				if rej.Total() != 0 {
					t.Fatalf("rejected: %v", rej.Examples())
				}
				if len(got) != len(tc.want) {
					t.Fatalf("%d rows, want %d: %+v", len(got), len(tc.want), got)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Errorf("row %d = %+v, want %+v", i, got[i], tc.want[i])
					}
				}
			})
		}
	}
}

func TestParseAggTradeRow(t *testing.T) {
	cases := []struct {
		name, line string
		m          tradeMarket
		want       AggTrade
		err        string
	}{
		{"spot ms", "5,2.5,3,10,12,1700000000000,True,True", spotMarket, AggTrade{5, 2.5, 3, 10, 12, 1700000000000000, true, true}, ""},
		{"spot us", "5,2.5,3,10,12,1735689600000001,False,False", spotMarket, AggTrade{5, 2.5, 3, 10, 12, 1735689600000001, false, false}, ""},
		{"futures", "5,2.5,3,10,12,1700000000000,false", usdmMarket, AggTrade{5, 2.5, 3, 10, 12, 1700000000000000, false, false}, ""},
		{"header", "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker", usdmMarket, AggTrade{}, "header"},
		{"spot row in a futures file", "5,2.5,3,10,12,1700000000000,True,True", coinmMarket, AggTrade{}, "8 fields, want 7"},
		{"bad first id", "5,2.5,3,x,12,1700000000000,false", usdmMarket, AggTrade{}, "first_trade_id"},
		{"bad last id", "5,2.5,3,10,1.2,1700000000000,false", usdmMarket, AggTrade{}, "last_trade_id"},
		{"bad qty", "5,2.5,,10,12,1700000000000,false", usdmMarket, AggTrade{}, "qty"},
		{"bad best match", "5,2.5,3,10,12,1700000000000,True,1", spotMarket, AggTrade{}, "is_best_match"},
	}
	for _, tc := range cases {
		got, err := parseAggTradeRow([]byte(tc.line), tc.m)
		switch {
		case tc.err == "header":
			if !errors.Is(err, errTradeHeader) {
				t.Errorf("%s: err = %v, want a header", tc.name, err)
			}
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case got != tc.want:
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestReadAggTradesCSVRejects(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	csv := strings.Join([]string{
		"1,100,1,10,10,1700000000000,True,True",
		"2,100,1,12,11,1700000000001,True,True",   // first > last
		"3,-1,1,12,12,1700000000002,True,True",    // negative price
		"4,100,Inf,13,13,1700000000003,True,True", // infinite qty
		"1,100,1,14,14,1700000000004,True,True",   // id not increasing
		"5,100,1,14,14,1700000000005,True",        // 7 fields in a spot file
		"6,100,0,15,15,1700000000006,False,True",  // qty 0 is allowed
	}, "\n") + "\n"
	got, rej, err := readAggTrades(t, mem, "spot", csv, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != 1 || got[1].ID != 6 {
		t.Errorf("rows %+v, want ids 1 and 6", got)
	}
	want := map[string]int{ErrTradeRange: 1, ErrPrice: 1, ErrQuantity: 1, ErrIDOrder: 1, ErrParse: 1}
	for reason, n := range want {
		if rej.ByReason()[reason] != n {
			t.Errorf("%s rejects = %d, want %d (all: %v)", reason, rej.ByReason()[reason], n, rej.ByReason())
		}
	}
	// A header with the wrong number of fields is not this market's file.
	if _, _, err := readAggTrades(t, mem, "usdm", "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match\n", 0); err == nil {
		t.Error("spot header accepted in a usdm file")
	}
}

func TestAggTradesSchemas(t *testing.T) {
	for market, cols := range map[string]string{
		"spot":  "agg_trade_id price qty first_trade_id last_trade_id time is_buyer_maker is_best_match",
		"usdm":  "agg_trade_id price qty first_trade_id last_trade_id time is_buyer_maker",
		"coinm": "agg_trade_id price qty first_trade_id last_trade_id time is_buyer_maker",
	} {
		sc, err := AggTradesSchema(market)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range sc.Fields() {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, " "); got != cols {
			t.Errorf("%s columns %q, want %q", market, got, cols)
		}
	}
	if _, err := AggTradesSchema("option"); err == nil {
		t.Error("option accepted")
	}
}
