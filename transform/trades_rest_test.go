package transform

import (
	"testing"

	"github.com/adshao/go-binance/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// go-binance's types convert to ours without copying field by field.
var (
	_ = RawTrade(binance.Trade{})
	_ = RawAggTrade(binance.AggTrade{})
)

func TestTradesJSONPage(t *testing.T) {
	// The shape of Binance's historicalTrades response (its documented
	// example), once with ms and once with µs times.
	const msPage = `[{"id":28457,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012","time":1499865549590,"isBuyerMaker":true,"isBestMatch":true},
		{"id":28458,"price":"4.00000200","qty":"1.00000000","quoteQty":"4.000002","time":1499865549591,"isBuyerMaker":false,"isBestMatch":false}]`
	const usPage = `[{"id":28459,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012","time":1735689600000001,"isBuyerMaker":true,"isBestMatch":true}]`
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b, _ := NewTradesBuilder(mem, "spot")
	defer b.Release()
	if n, err := b.AppendJSONPage([]byte(msPage), TimeUnitFromHeader("")); err != nil || n != 2 {
		t.Fatalf("ms page: %d rows, %v", n, err)
	}
	if n, err := b.AppendJSONPage([]byte(usPage), TimeUnitFromHeader("MICROSECOND")); err != nil || n != 1 {
		t.Fatalf("µs page: %d rows, %v", n, err)
	}
	if _, err := b.AppendJSONPage([]byte(`{"code":-1121,"msg":"Invalid symbol."}`), arrow.Millisecond); err == nil {
		t.Error("an error body decoded as a page")
	}
	// A µs time taken for ms lands beyond the year 5138: rejected, not stored.
	b.AppendJSONPage([]byte(`[{"id":28460,"price":"4","qty":"1","quoteQty":"4","time":1735689600000002}]`), arrow.Millisecond)
	b.AppendJSONPage([]byte(`[{"id":28461,"price":"four","qty":"1","quoteQty":"4","time":1735689600000}]`), arrow.Millisecond)
	rec := b.NewRecord()
	defer rec.Release()
	want := []Trade{
		{28457, 4.000001, 12, 48.000012, 1499865549590000, true, true},
		{28458, 4.000002, 1, 4.000002, 1499865549591000, false, false},
		{28459, 4.000001, 12, 48.000012, 1735689600000001, true, true},
	}
	got := Trades(rec)
	if len(got) != len(want) {
		t.Fatalf("rows %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if r := b.Rejected.ByReason(); r[ErrTime] != 1 || r[ErrParse] != 1 {
		t.Errorf("rejects %v, want one time and one parse", r)
	}
}

func TestAggTradesJSONPage(t *testing.T) {
	// Binance's documented aggTrades example; "m" and "M" differ only in
	// case and must not be confused.
	const spot = `[{"a":26129,"p":"0.01633102","q":"4.70443515","f":27781,"l":27781,"T":1498793709153,"m":true,"M":false},
		{"a":26130,"p":"0.01633102","q":"1","f":27782,"l":27784,"T":1498793709154,"m":false,"M":true}]`
	const futures = `[{"a":26129,"p":"0.01633102","q":"4.70443515","f":27781,"l":27781,"T":1498793709153,"m":true}]`
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	b, _ := NewAggTradesBuilder(mem, "spot")
	defer b.Release()
	if n, err := b.AppendJSONPage([]byte(spot), arrow.Millisecond); err != nil || n != 2 {
		t.Fatalf("spot page: %d rows, %v", n, err)
	}
	rec := b.NewRecord()
	defer rec.Release()
	got := AggTrades(rec)
	want := []AggTrade{
		{26129, 0.01633102, 4.70443515, 27781, 27781, 1498793709153000, true, false},
		{26130, 0.01633102, 1, 27782, 27784, 1498793709154000, false, true},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("spot rows %+v, want %+v", got, want)
	}

	fb, _ := NewAggTradesBuilder(mem, "usdm")
	defer fb.Release()
	if n, err := fb.AppendJSONPage([]byte(futures), arrow.Millisecond); err != nil || n != 1 {
		t.Fatalf("futures page: %d rows, %v", n, err)
	}
	frec := fb.NewRecord()
	defer frec.Release()
	if frec.NumCols() != 7 || AggTrades(frec)[0] != (AggTrade{26129, 0.01633102, 4.70443515, 27781, 27781, 1498793709153000, true, false}) {
		t.Errorf("futures rows %+v", AggTrades(frec))
	}
}
