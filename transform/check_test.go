package transform

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestCheckerFindsEachDefect(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	iv := Interval("1h")
	t0 := ms("2024-01-01T00:00:00Z")
	h := int64(3600_000)
	k := func(i int64) Kline {
		return Kline{OpenTime: t0 + i*h, Open: 10, High: 12, Low: 9, Close: 11, Volume: 1, CloseTime: iv.CloseTime(t0 + i*h), QuoteVolume: 10, Trades: 1}
	}
	b := NewBuilder(mem, iv)
	defer b.Release()
	bad := k(3)
	bad.Low = 11.5 // above open
	for _, row := range []Kline{k(0), k(1), k(1), k(2), bad, k(7), k(6), k(8)} {
		b.appendUnchecked(row)
	}
	first := b.NewRecord()
	defer first.Release()
	b.appendUnchecked(k(10)) // next file: gap across files
	second := b.NewRecord()
	defer second.Release()

	c := NewChecker(iv)
	got := append(c.Check(first), c.Check(second)...)
	want := []struct {
		kind string
		at   int64
	}{
		{ProblemDuplicate, 1}, {ErrOHLC, 3}, {ProblemGap, 4}, {ProblemUnsorted, 6}, {ProblemGap, 9},
	}
	if len(got) != len(want) {
		t.Fatalf("problems %v", got)
	}
	for i, w := range want {
		if got[i].Kind != w.kind || got[i].OpenTime != t0+w.at*h {
			t.Errorf("problem %d = %v, want %s at hour %d", i, got[i], w.kind, w.at)
		}
	}
	if got[2].Until != t0+7*h || got[2].Detail != "3 missing 1h candles" {
		t.Errorf("gap %+v", got[2])
	}

	// A clean series has no problems; gaps outside [From, To) are ignored.
	clean := NewBuilder(mem, iv)
	defer clean.Release()
	for _, i := range []int64{0, 1, 2, 5, 6} {
		clean.appendUnchecked(k(i))
	}
	rec := clean.NewRecord()
	defer rec.Release()
	c = NewChecker(iv)
	c.From = t0 + 5*h
	if p := c.Check(rec); len(p) != 0 {
		t.Errorf("problems outside the range: %v", p)
	}
}
