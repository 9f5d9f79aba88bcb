package transform

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// readerOf returns a reader over recs, slices of one batch cut at cuts.
func readerOf(t *testing.T, rec arrow.RecordBatch, cuts ...int64) array.RecordReader {
	t.Helper()
	var parts []arrow.RecordBatch
	prev := int64(0)
	for _, c := range append(cuts, rec.NumRows()) {
		parts = append(parts, rec.NewSlice(prev, c))
		prev = c
	}
	rr, err := array.NewRecordReader(rec.Schema(), parts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		p.Release()
	}
	return rr
}

func TestMergeSortedByKeyMatchesMergeByKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var stRows, inRows []Trade
	for i := range 40 {
		if i%3 != 2 {
			stRows = append(stRows, tr(int64(i), float64(10+i), i%2 == 0, true))
		}
		if i >= 25 || i%5 == 0 {
			inRows = append(inRows, tr(int64(i), float64(10+i+i%2), i%2 == 0, i%4 == 0))
		}
	}
	stored, incoming := spotTrades(t, mem, stRows...), spotTrades(t, mem, inRows...)
	defer stored.Release()
	defer incoming.Release()
	want, wantSt, err := MergeByKey(mem, stored, incoming)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()

	for _, batch := range []int{1, 7, 0} {
		ex, in := readerOf(t, stored, 0, 5, 6, 20), readerOf(t, incoming, 3)
		var got []Trade
		st, err := MergeSortedByKey(mem, ex, in, batch, func(rec arrow.RecordBatch) error {
			if batch > 0 && rec.NumRows() > int64(batch) {
				t.Errorf("batch of %d rows, want <= %d", rec.NumRows(), batch)
			}
			got = append(got, Trades(rec)...)
			return nil
		})
		ex.Release()
		in.Release()
		if err != nil {
			t.Fatal(err)
		}
		if st != wantSt {
			t.Errorf("batch %d: stats %+v, want %+v", batch, st, wantSt)
		}
		w := Trades(want)
		if len(got) != len(w) {
			t.Fatalf("batch %d: %d rows, want %d", batch, len(got), len(w))
		}
		for i := range w {
			if got[i] != w[i] {
				t.Errorf("batch %d row %d = %+v, want %+v", batch, i, got[i], w[i])
			}
		}
	}
}

func TestMergeSortedByKeyRefusesUnsorted(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := spotTrades(t, mem, tr(1, 10, true, true), tr(5, 10, true, true), tr(3, 10, true, true))
	defer rec.Release()
	for name, rr := range map[string]array.RecordReader{
		"within a batch": readerOf(t, rec),
		"across batches": readerOf(t, rec, 2),
	} {
		_, err := MergeSortedByKey(mem, rr, nil, 0, func(arrow.RecordBatch) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "not sorted") {
			t.Errorf("%s: err = %v", name, err)
		}
		rr.Release()
	}
}

// TestMergeSortedByKeyPassesThrough: rows with nothing stored to
// interleave (a new file, or the tail after the stored rows) go to emit as
// the incoming batches themselves, not copied, with the same stats and
// rows as MergeByKey.
func TestMergeSortedByKeyPassesThrough(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var stRows, inRows []Trade
	for i := range 30 {
		if i < 10 {
			stRows = append(stRows, tr(int64(i), float64(10+i), i%2 == 0, true))
		}
		if i >= 5 {
			inRows = append(inRows, tr(int64(i), float64(10+i), i%2 == 0, true))
		}
	}
	stored, incoming := spotTrades(t, mem, stRows...), spotTrades(t, mem, inRows...)
	defer stored.Release()
	defer incoming.Release()
	for _, withStored := range []bool{false, true} {
		var ex array.RecordReader
		want, wantSt, err := MergeByKey(mem, nil, incoming)
		if withStored {
			ex = readerOf(t, stored, 4)
			want.Release()
			want, wantSt, err = MergeByKey(mem, stored, incoming)
		}
		if err != nil {
			t.Fatal(err)
		}
		in := readerOf(t, incoming, 8, 16)
		var got []Trade
		shared := 0
		st, err := MergeSortedByKey(mem, ex, in, 0, func(rec arrow.RecordBatch) error {
			if rec.Column(0).Data().Buffers()[1] == incoming.Column(0).Data().Buffers()[1] {
				shared++
			}
			got = append(got, Trades(rec)...)
			return nil
		})
		if ex != nil {
			ex.Release()
		}
		in.Release()
		if err != nil {
			t.Fatal(err)
		}
		if st != wantSt || len(got) != int(want.NumRows()) {
			t.Errorf("stored %v: stats %+v and %d rows, want %+v and %d", withStored, st, len(got), wantSt, want.NumRows())
		}
		for i, w := range Trades(want) {
			if i < len(got) && got[i] != w {
				t.Fatalf("stored %v: row %d is %+v, want %+v", withStored, i, got[i], w)
			}
		}
		if !withStored && shared == 0 {
			t.Error("with nothing stored the incoming rows were copied, not passed through")
		}
		want.Release()
	}
}
