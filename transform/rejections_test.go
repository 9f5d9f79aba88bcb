package transform

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestRejectionsBounded: a Builder rejecting a million rows (a format change
// over days of 1s candles) counts every one exactly, per reason, but keeps
// only the first few of each as examples; Merge keeps both properties.
func TestRejectionsBounded(t *testing.T) {
	const iv, n = Interval("1s"), 1_000_000
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := NewBuilder(mem, iv)
	defer b.Release()
	t0 := int64(1704067200000)
	for i := range n {
		ot := t0 + int64(i)*1000
		k := Kline{OpenTime: ot, CloseTime: ot + 999, Open: 1, High: 2, Low: 1, Close: 1}
		switch i % 4 {
		case 0:
			k.High = 0.5 // ohlc
		case 1:
			k.Volume = -1 // negative_volume
		case 2:
			k.CloseTime++ // close_time
		case 3:
			k.OpenTime++ // misaligned
		}
		if b.Append(k) {
			t.Fatalf("row %d accepted", i)
		}
	}
	r := &b.Rejected
	if r.Total() != n {
		t.Fatalf("total %d, want %d", r.Total(), n)
	}
	want := map[string]int{ErrOHLC: n / 4, ErrVolume: n / 4, ErrCloseTime: n / 4, ErrMisaligned: n / 4}
	if got := r.ByReason(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("by reason %v, want %v", got, want)
	}
	ex := r.Examples()
	if len(ex) != 4*MaxRejectionExamples {
		t.Fatalf("%d examples, want %d", len(ex), 4*MaxRejectionExamples)
	}
	if ex[0].Type != ErrOHLC || ex[0].OpenTime != t0 || ex[1].OpenTime != t0+4000 {
		t.Errorf("examples are not the first rows: %v, %v", ex[0], ex[1])
	}

	// Merging two sets adds the counts and keeps at most the first examples.
	var sum Rejections
	sum.Add(&RowError{Type: ErrParse, OpenTime: 1})
	sum.Merge(r)
	sum.Merge(r)
	if sum.Total() != 2*n+1 || sum.ByReason()[ErrOHLC] != n/2 || sum.ByReason()[ErrParse] != 1 {
		t.Fatalf("merged total %d, by reason %v", sum.Total(), sum.ByReason())
	}
	if got := len(sum.Examples()); got != 4*MaxRejectionExamples+1 {
		t.Fatalf("merged %d examples, want %d", got, 4*MaxRejectionExamples+1)
	}

	// CountsSince reports only what was rejected after Counts was taken.
	before := r.Counts()
	b.Append(Kline{OpenTime: t0, CloseTime: t0 + 999, Open: 1, High: 0, Low: 1, Close: 1})
	b.Append(Kline{OpenTime: t0, CloseTime: t0 + 999, Open: 1, High: 0, Low: 1, Close: 1})
	b.AppendRaw(RawKline{OpenTime: t0, CloseTime: t0 + 999, Open: "x"})
	got := map[string]int{}
	r.CountsSince(before, func(reason string, n int) { got[reason] += n })
	if fmt.Sprint(got) != fmt.Sprint(map[string]int{ErrOHLC: 2, ErrParse: 1}) {
		t.Fatalf("since: %v", got)
	}
	var empty Rejections
	if empty.Total() != 0 || empty.ByReason() != nil || empty.Examples() != nil || empty.Counts() != nil {
		t.Fatal("zero Rejections is not empty")
	}
}
