package transform

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const tradesTestdata = "../testdata/trades"

// readTradesFile reads a trades CSV into batches of batchRows and returns
// their rows and the builder's rejections.
func readTrades(t *testing.T, mem memory.Allocator, market, csv string, batchRows int) ([]Trade, *Rejections, error) {
	t.Helper()
	b, err := NewTradesBuilder(mem, market)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	var rows []Trade
	err = ReadTradesCSV(strings.NewReader(csv), b, batchRows, func(rec arrow.RecordBatch) error {
		if !rec.Schema().Equal(b.Schema()) {
			t.Errorf("batch schema %s, want %s", rec.Schema(), b.Schema())
		}
		if batchRows > 0 && rec.NumRows() > int64(batchRows) {
			t.Errorf("batch of %d rows, want at most %d", rec.NumRows(), batchRows)
		}
		rows = append(rows, Trades(rec)...)
		return nil
	})
	return rows, &b.Rejected, err
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tradesTestdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadTradesCSVFixtures(t *testing.T) {
	cases := []struct {
		file, market string
		want         []Trade
	}{
		{"spot-trades-2020-ms.csv", "spot", []Trade{
			{51175358, 17.8018, 5.69, 101.292242, 1583709433583000, true, true},
			{51175359, 17.8021, 0.56, 9.969176, 1583709433812000, false, true},
			{51175360, 17.8, 12, 213.6, 1583709434001000, true, true},
		}},
		{"spot-trades-2025-us.csv", "spot", []Trade{
			{4120000000, 94591.79, 0.0001, 9.459179, 1735689600001234, true, true},
			{4120000001, 94591.8, 0.02141, 2025.209838, 1735689600001234, false, true},
			{4120000002, 94591.8, 0.00006, 5.675508, 1735689600015876, false, true},
		}},
		{"usdm-trades-noheader.csv", "usdm", []Trade{
			{28457, 4.000001, 12, 48, 1499865549590000, true, false},
			{28458, 4.000002, 1.5, 6, 1499865549601000, false, false},
		}},
		{"usdm-trades-2024-header.csv", "usdm", []Trade{
			{5000000001, 42283.5, 0.003, 126.8505, 1704067200115000, true, false},
			{5000000002, 42283.6, 0.15, 6342.54, 1704067200115000, false, false},
			{5000000004, 42283.6, 0.01, 422.836, 1704067200230000, false, false},
		}},
		{"coinm-trades-2020-noheader.csv", "coinm", []Trade{
			{28457, 9635, 1, 0.01037883, 1591250192508000, true, false},
			{28458, 9635.1, 3, 0.03113588, 1591250192600000, false, false},
		}},
		{"coinm-trades-2026-header.csv", "coinm", []Trade{
			{1151022504, 78526.1, 83, 0.10569734, 1788220802731000, true, false},
			{1151022505, 78526.1, 2, 0.00254691, 1788220802740000, true, false},
		}},
	}
	for _, tc := range cases {
		for _, batch := range []int{0, 1, 2} {
			t.Run(tc.file, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				got, rej, err := readTrades(t, mem, tc.market, fixture(t, tc.file), batch)
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

func TestParseTradeRow(t *testing.T) {
	cases := []struct {
		name, line string
		m          tradeMarket
		want       Trade
		err        string // substring; "header" for errTradeHeader
	}{
		{"spot ms", "1,2.5,3,7.5,1700000000000,True,False", spotMarket, Trade{1, 2.5, 3, 7.5, 1700000000000000, true, false}, ""},
		{"spot us", "1,2.5,3,7.5,1735689600000001,False,True", spotMarket, Trade{1, 2.5, 3, 7.5, 1735689600000001, false, true}, ""},
		{"spot lower-case booleans", "1,2.5,3,7.5,1700000000000,true,false", spotMarket, Trade{1, 2.5, 3, 7.5, 1700000000000000, true, false}, ""},
		{"usdm", "9,100,0.5,50,1700000000000,false", usdmMarket, Trade{9, 100, 0.5, 50, 1700000000000000, false, false}, ""},
		{"usdm capitalised booleans", "9,100,0.5,50,1700000000000,True", usdmMarket, Trade{9, 100, 0.5, 50, 1700000000000000, true, false}, ""},
		{"coinm", "9,100,3,0.03,1700000000000,true", coinmMarket, Trade{9, 100, 3, 0.03, 1700000000000000, true, false}, ""},
		{"header", "id,price,qty,quote_qty,time,is_buyer_maker", usdmMarket, Trade{}, "header"},
		{"header with BOM", "\ufeffid,price,qty,quote_qty,time,is_buyer_maker", usdmMarket, Trade{}, "header"},
		{"spot row in a futures file", "1,2.5,3,7.5,1700000000000,True,False", usdmMarket, Trade{}, "7 fields, want 6"},
		{"futures row in a spot file", "9,100,0.5,50,1700000000000,false", spotMarket, Trade{}, "6 fields, want 7"},
		{"too many fields", "1,2,3,4,5,6,7,8,9,10", spotMarket, Trade{}, "9 fields"},
		{"bad boolean", "9,100,0.5,50,1700000000000,yes", usdmMarket, Trade{}, "is_buyer_maker"},
		{"bad best match", "1,2.5,3,7.5,1700000000000,True,Tru", spotMarket, Trade{}, "is_best_match"},
		{"bad price", "9,1e,0.5,50,1700000000000,false", usdmMarket, Trade{}, "price"},
		{"bad base qty", "9,100,3,x,1700000000000,true", coinmMarket, Trade{}, "base_qty"},
		{"bad time", "9,100,0.5,50,17000000000.5,false", usdmMarket, Trade{}, "time"},
		{"bad id", "9x,100,0.5,50,1700000000000,false", usdmMarket, Trade{}, "id"},
		{"empty fields", ",,,,,", usdmMarket, Trade{}, "id"},
	}
	for _, tc := range cases {
		got, err := parseTradeRow([]byte(tc.line), tc.m)
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

func TestReadTradesCSVRejects(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	csv := strings.Join([]string{
		"id,price,qty,quote_qty,time,is_buyer_maker", // header: skipped
		"10,100,1,100,1700000000000,true",
		"11,0,1,0,1700000000001,true",                // price 0
		"12,100,-1,-100,1700000000002,true",          // negative qty
		"13,NaN,1,1,1700000000003,true",              // NaN price
		"14,100,1,100,0,true",                        // time 0
		"10,100,1,100,1700000000004,true",            // id not increasing
		"id,price,qty,quote_qty,time,is_buyer_maker", // a header inside: parse
		"15,100,1,100,1700000000005,maybe",           // parse
		"",                                           // blank: ignored
		"16,100,1,100,1700000000006,false",
	}, "\n")
	got, rej, err := readTrades(t, mem, "usdm", csv, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != 10 || got[1].ID != 16 {
		t.Errorf("rows %+v, want ids 10 and 16", got)
	}
	want := map[string]int{ErrPrice: 2, ErrQuantity: 1, ErrTime: 1, ErrIDOrder: 1, ErrParse: 2}
	for reason, n := range want {
		if rej.ByReason()[reason] != n {
			t.Errorf("%s rejects = %d, want %d (all: %v)", reason, rej.ByReason()[reason], n, rej.ByReason())
		}
	}
	for _, e := range rej.Examples() {
		if e.Type == ErrParse && !strings.Contains(e.Detail, "line ") {
			t.Errorf("parse reject without its line: %v", e)
		}
	}
}

func TestReadTradesCSVHeaderOfAnotherMarket(t *testing.T) {
	cases := []struct{ market, csv string }{
		{"usdm", "id,price,qty,base_qty,time,is_buyer_maker\n1,100,1,0.01,1700000000000,true\n"},
		{"coinm", "id,price,qty,quote_qty,time,is_buyer_maker\n1,100,1,100,1700000000000,true\n"},
		{"spot", "id,price,qty,quote_qty,time,is_buyer_maker\n1,100,1,100,1700000000000,true\n"},
	}
	for _, tc := range cases {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		_, _, err := readTrades(t, mem, tc.market, tc.csv, 0)
		if err == nil || !strings.Contains(err.Error(), "line 1: header") {
			t.Errorf("%s: err = %v, want a header mismatch on line 1", tc.market, err)
		}
		mem.AssertSize(t, 0)
	}
}

func TestReadTradesCSVErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	long := "1,100,1,100,1700000000000,true\n" + strings.Repeat("9", tradeLineLimit+1) + "\n"
	if _, _, err := readTrades(t, mem, "usdm", long, 0); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("overlong line: err = %v", err)
	}
	b, _ := NewTradesBuilder(mem, "usdm")
	defer b.Release()
	stop := errors.New("stop")
	err := ReadTradesCSV(strings.NewReader(fixture(t, "usdm-trades-2024-header.csv")), b, 1, func(arrow.RecordBatch) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("emit error: got %v", err)
	}
	if _, err := NewTradesBuilder(mem, "option"); err == nil {
		t.Error("option market accepted")
	}
}

func TestTradesSchemas(t *testing.T) {
	for _, tc := range []struct {
		market string
		cols   string
	}{
		{"spot", "id price qty quote_qty time is_buyer_maker is_best_match"},
		{"usdm", "id price qty quote_qty time is_buyer_maker"},
		{"coinm", "id price qty base_qty time is_buyer_maker"},
	} {
		sc, err := TradesSchema(tc.market)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range sc.Fields() {
			names = append(names, f.Name)
			if f.Nullable {
				// arrow.Field's zero value is not nullable; keep it so.
				t.Errorf("%s.%s is nullable", tc.market, f.Name)
			}
		}
		if got := strings.Join(names, " "); got != tc.cols {
			t.Errorf("%s columns %q, want %q", tc.market, got, tc.cols)
		}
		if !arrow.TypeEqual(sc.Field(4).Type, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}) {
			t.Errorf("%s time is %s", tc.market, sc.Field(4).Type)
		}
	}
}

func TestTradesBuilderBatchesAreIndependent(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b, _ := NewTradesBuilder(mem, "spot")
	defer b.Release()
	var recs []arrow.RecordBatch
	for i := range 3000 {
		if !b.Append(Trade{ID: int64(i), Price: 1, Qty: 1, QuoteQty: 1, Time: 1700000000000000, IsBuyerMaker: i%3 == 0, IsBestMatch: i%5 == 0}) {
			t.Fatal(b.Rejected.Examples())
		}
		if b.Len() == 1000 {
			recs = append(recs, b.NewRecord())
		}
	}
	// The id sequence goes on across batches.
	if b.Append(Trade{ID: 5, Price: 1, Qty: 1, QuoteQty: 1, Time: 1700000000000000}) {
		t.Error("id 5 after 2999 accepted")
	}
	b.StartFile()
	if !b.Append(Trade{ID: 5, Price: 1, Qty: 1, QuoteQty: 1, Time: 1700000000000000}) {
		t.Error("id 5 of a new file rejected")
	}
	for k, rec := range recs {
		for i, tr := range Trades(rec) {
			n := k*1000 + i
			if tr.ID != int64(n) || tr.IsBuyerMaker != (n%3 == 0) || tr.IsBestMatch != (n%5 == 0) {
				t.Fatalf("batch %d row %d = %+v", k, i, tr)
			}
		}
		rec.Release()
	}
}
