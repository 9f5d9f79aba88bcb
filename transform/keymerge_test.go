package transform

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// spotTrades builds a spot trades batch; ids need not be sorted (the
// builder would reject that, so rows go through Append per sequence).
func spotTrades(t *testing.T, mem memory.Allocator, rows ...Trade) arrow.RecordBatch {
	t.Helper()
	b, _ := NewTradesBuilder(mem, "spot")
	defer b.Release()
	for _, r := range rows {
		b.StartFile() // allow any order: the merge must sort
		if !b.Append(r) {
			t.Fatalf("rejected: %v", b.Rejected.Examples())
		}
	}
	return b.NewRecord()
}

func tr(id int64, price float64, maker, best bool) Trade {
	return Trade{ID: id, Price: price, Qty: 1, QuoteQty: price, Time: 1700000000000000 + id, IsBuyerMaker: maker, IsBestMatch: best}
}

func TestMergeByKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	stored := spotTrades(t, mem, tr(1, 10, true, true), tr(2, 11, false, true), tr(4, 12, true, false))
	defer stored.Release()
	// New rows out of order, one duplicated within the batch (last wins),
	// one equal to the stored row, one that changes only a boolean.
	incoming := spotTrades(t, mem, tr(5, 13, true, true), tr(2, 11, false, true), tr(3, 99, true, true),
		tr(3, 14, false, false), tr(4, 12, true, true))
	defer incoming.Release()
	out, st, err := MergeByKey(mem, stored, incoming)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	want := []Trade{tr(1, 10, true, true), tr(2, 11, false, true), tr(3, 14, false, false), tr(4, 12, true, true), tr(5, 13, true, true)}
	got := Trades(out)
	if len(got) != len(want) {
		t.Fatalf("rows %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	wantSt := MergeStats{Existing: 3, Incoming: 5, Rows: 5, Added: 2, Replaced: 1}
	if st != wantSt {
		t.Errorf("stats %+v, want %+v", st, wantSt)
	}

	// Idempotent: merging the result with the same new rows changes nothing.
	again, st2, err := MergeByKey(mem, out, incoming)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Release()
	if !array.RecordEqual(again, out) || st2.Added != 0 || st2.Replaced != 0 {
		t.Errorf("second merge changed rows: %+v", st2)
	}
}

func TestMergeByKeyNoCopy(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sorted := spotTrades(t, mem, tr(1, 10, true, true), tr(2, 11, false, true))
	defer sorted.Release()
	out, st, err := MergeByKey(mem, nil, sorted)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if out != sorted || st.Added != 2 {
		t.Errorf("sorted input into nothing: copied or miscounted (%+v)", st)
	}
	norm, err := NormalizeByKey(mem, sorted)
	if err != nil {
		t.Fatal(err)
	}
	norm.Release()
}

func TestMergeByKeyOneUnsortedInput(t *testing.T) {
	// With the other input missing, an unsorted one is sorted and
	// de-duplicated (last row wins) into a new batch.
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := spotTrades(t, mem, tr(3, 30, true, true), tr(1, 10, false, true), tr(3, 31, false, false))
	defer rec.Release()
	want := []Trade{tr(1, 10, false, true), tr(3, 31, false, false)}
	for _, pair := range [...][2]arrow.RecordBatch{{nil, rec}, {rec, nil}} {
		out, st, err := MergeByKey(mem, pair[0], pair[1])
		if err != nil {
			t.Fatal(err)
		}
		if got := Trades(out); len(got) != 2 || got[0] != want[0] || got[1] != want[1] || st.Rows != 2 {
			t.Errorf("merge %v: rows %+v (%+v), want %+v", pair[0] == nil, got, st, want)
		}
		out.Release()
	}
}

func TestMergeByKeySlicedInputs(t *testing.T) {
	// Slices have offsets into their buffers, booleans at a bit offset.
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rows []Trade
	for i := range 20 {
		rows = append(rows, tr(int64(i), float64(10+i), i%3 == 0, i%2 == 0))
	}
	full := spotTrades(t, mem, rows...)
	defer full.Release()
	a, b := full.NewSlice(3, 11), full.NewSlice(9, 17)
	defer a.Release()
	defer b.Release()
	// Reverse order so the merge has to sort and copy.
	out, st, err := MergeByKey(mem, b, a)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	got := Trades(out)
	if len(got) != 14 || st.Replaced != 0 {
		t.Fatalf("%d rows (%+v), want 14 with nothing replaced", len(got), st)
	}
	for i, g := range got {
		if g != rows[3+i] {
			t.Errorf("row %d = %+v, want %+v", i, g, rows[3+i])
		}
	}
}

func TestMergeByKeyAggTrades(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	mk := func(ids ...int64) arrow.RecordBatch {
		b, _ := NewAggTradesBuilder(mem, "usdm")
		defer b.Release()
		for _, id := range ids {
			b.Append(AggTrade{ID: id, Price: 1, Qty: float64(id), FirstTradeID: 2 * id, LastTradeID: 2*id + 1, Time: 1700000000000000, IsBuyerMaker: id%2 == 1})
		}
		return b.NewRecord()
	}
	x, y := mk(1, 2, 3), mk(3, 4)
	defer x.Release()
	defer y.Release()
	out, st, err := MergeByKey(mem, x, y)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	got := AggTrades(out)
	if len(got) != 4 || st.Added != 1 || st.Replaced != 0 || got[3].ID != 4 || got[3].LastTradeID != 9 || !got[2].IsBuyerMaker {
		t.Errorf("rows %+v stats %+v", got, st)
	}
}

func TestMergeByKeyErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	spot := spotTrades(t, mem, tr(1, 10, true, true))
	defer spot.Release()
	ub, _ := NewTradesBuilder(mem, "usdm")
	ub.Append(tr(1, 10, true, false))
	usdm := ub.NewRecord()
	ub.Release()
	defer usdm.Release()
	if _, _, err := MergeByKey(mem, spot, usdm); err == nil || !strings.Contains(err.Error(), "schema mismatch") {
		t.Errorf("spot with usdm: %v", err)
	}
	if _, _, err := MergeByKey(mem, nil, nil); err == nil {
		t.Error("no input accepted")
	}
	// Nulls and unsupported types are refused, not silently mangled.
	ib := array.NewInt64Builder(mem)
	ib.AppendNull()
	ids := ib.NewArray()
	ib.Release()
	defer ids.Release()
	sb := array.NewStringBuilder(mem)
	sb.Append("x")
	strs := sb.NewArray()
	sb.Release()
	defer strs.Release()
	for name, rec := range map[string]arrow.RecordBatch{
		"nulls":  array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "id", Type: i64, Nullable: true}}, nil), []arrow.Array{ids}, 1),
		"string": array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{strs}, 1),
	} {
		if _, _, err := MergeByKey(mem, nil, rec); err == nil {
			t.Errorf("%s accepted", name)
		}
		rec.Release()
	}
}
