package transform

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func raw(iv Interval, open int64, o, h, l, c string) RawKline {
	return RawKline{OpenTime: open, Open: o, High: h, Low: l, Close: c, Volume: "1.5",
		CloseTime: iv.CloseTime(open), QuoteAssetVolume: "100.25", TradeNum: 7,
		TakerBuyBaseAssetVolume: "0.5", TakerBuyQuoteAssetVolume: "33.1"}
}

func TestBuilderValidates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	iv := Interval("1m")
	t0 := ms("2024-01-01T00:00:00Z")
	good := raw(iv, t0, "10", "12", "9", "11")
	cases := []struct {
		name string
		k    RawKline
		typ  string
	}{
		{"low above open", raw(iv, t0+60000, "10", "12", "10.5", "11"), ErrOHLC},
		{"high below close", raw(iv, t0+120000, "10", "10.5", "9", "11"), ErrOHLC},
		{"bad close time", func() RawKline { k := raw(iv, t0+180000, "10", "12", "9", "11"); k.CloseTime++; return k }(), ErrCloseTime},
		{"misaligned", raw(iv, t0+1000, "10", "12", "9", "11"), ErrMisaligned},
		{"negative volume", func() RawKline { k := raw(iv, t0+240000, "10", "12", "9", "11"); k.Volume = "-1"; return k }(), ErrVolume},
		{"not a number", func() RawKline { k := raw(iv, t0+300000, "10", "12", "9", "11"); k.Close = "x"; return k }(), ErrParse},
		{"NaN", func() RawKline { k := raw(iv, t0+360000, "NaN", "12", "9", "11"); return k }(), ErrOHLC},
	}
	b := NewBuilder(mem, iv)
	defer b.Release()
	if !b.AppendRaw(good) {
		t.Fatalf("good row rejected: %v", b.Rejected.Examples())
	}
	for _, tc := range cases {
		if b.AppendRaw(tc.k) {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		found := false
		for _, e := range b.Rejected.Examples() {
			found = found || e.Type == tc.typ && e.OpenTime == tc.k.OpenTime
		}
		if !found {
			t.Errorf("%s: not rejected as %s at %d: %v", tc.name, tc.typ, tc.k.OpenTime, b.Rejected.Examples())
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	if rec.NumRows() != 1 {
		t.Fatalf("rows = %d, want only the valid one", rec.NumRows())
	}
	got := Rows(rec)[0]
	want := Kline{OpenTime: t0, Open: 10, High: 12, Low: 9, Close: 11, Volume: 1.5, CloseTime: t0 + 59999, QuoteVolume: 100.25, Trades: 7, TakerBuyBase: 0.5, TakerBuyQuote: 33.1}
	if got != want {
		t.Errorf("row = %+v, want %+v", got, want)
	}
}

func TestMergeSortsDedupsAndPrefersNew(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	iv := Interval("1h")
	t0 := ms("2024-01-01T00:00:00Z")
	h := int64(3600_000)
	mk := func(opens []int64, close string) *Builder {
		b := NewBuilder(mem, iv)
		for _, o := range opens {
			if !b.AppendRaw(raw(iv, t0+o*h, "10", "20", "5", close)) {
				t.Fatalf("rejected: %v", b.Rejected.Examples())
			}
		}
		return b
	}
	ob := mk([]int64{0, 1, 2, 5}, "11")
	defer ob.Release()
	old := ob.NewRecord()
	defer old.Release()
	nb := mk([]int64{6, 2, 3, 3}, "12") // unsorted, duplicate 3, overlaps 2
	defer nb.Release()
	incoming := nb.NewRecord()
	defer incoming.Release()

	merged, st, err := Merge(mem, old, incoming)
	if err != nil {
		t.Fatal(err)
	}
	defer merged.Release()
	rows := Rows(merged)
	var opens []int64
	for _, r := range rows {
		opens = append(opens, (r.OpenTime-t0)/h)
	}
	if want := []int64{0, 1, 2, 3, 5, 6}; !equal(opens, want) {
		t.Fatalf("open times %v, want %v", opens, want)
	}
	if rows[2].Close != 12 || rows[0].Close != 11 {
		t.Errorf("incoming should win on overlap: %+v", rows[2])
	}
	if st.Added != 2 || st.Replaced != 1 || st.Rows != 6 || st.Existing != 4 || st.Incoming != 4 {
		t.Errorf("stats %+v", st)
	}

	// Merging the same data again changes nothing.
	again, st2, err := Merge(mem, merged, merged)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Release()
	if st2.Added != 0 || st2.Replaced != 0 || !array.RecordEqual(again, merged) {
		t.Errorf("re-merge not idempotent: %+v", st2)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzRawKlineParse(f *testing.F) {
	f.Add("1.0", "2.5", "0.5", "1.2", "100")
	f.Add("NaN", "inf", "-1", "1e308", "")
	f.Fuzz(func(t *testing.T, o, h, l, c, v string) {
		k, err := RawKline{OpenTime: 0, Open: o, High: h, Low: l, Close: c, Volume: v, CloseTime: 59999,
			QuoteAssetVolume: "1", TakerBuyBaseAssetVolume: "0", TakerBuyQuoteAssetVolume: "0"}.Parse()
		if err != nil {
			return
		}
		if verr := Validate("1m", k); verr == nil {
			for _, x := range []float64{k.Open, k.High, k.Low, k.Close, k.Volume} {
				if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
					t.Fatalf("validated a non-finite or negative value: %+v", k)
				}
			}
			if k.Low > k.High {
				t.Fatalf("validated low > high: %+v", k)
			}
		}
	})
}

// TestMergeCases checks Merge against a plain model (a map, last write
// wins, incoming after existing) on sorted, unsorted, duplicated, empty and
// disjoint inputs.
func TestMergeCases(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	iv := Interval("1m")
	t0 := ms("2024-01-01T00:00:00Z")
	type row struct {
		min   int64
		close float64
	}
	batch := func(rows []row) arrow.RecordBatch {
		if rows == nil {
			return nil
		}
		b := NewBuilder(mem, iv)
		defer b.Release()
		for _, r := range rows {
			c := strconv.FormatFloat(r.close, 'f', -1, 64)
			if !b.AppendRaw(raw(iv, t0+r.min*60_000, "10", "20", "5", c)) {
				t.Fatalf("rejected: %v", b.Rejected.Examples())
			}
		}
		return b.NewRecord()
	}
	for _, tc := range []struct {
		name     string
		old, new []row
	}{
		{"into nothing, sorted", nil, []row{{0, 11}, {1, 12}, {2, 13}}},
		{"into nothing, unsorted with duplicates", nil, []row{{2, 11}, {0, 12}, {2, 13}, {1, 14}, {0, 15}}},
		{"into empty file", []row{}, []row{{1, 11}, {0, 12}}},
		{"nothing new", []row{{0, 11}, {1, 12}}, []row{}},
		{"append after", []row{{0, 11}, {1, 12}}, []row{{2, 13}, {3, 14}}},
		{"insert before and between", []row{{2, 11}, {5, 12}}, []row{{0, 13}, {3, 14}, {9, 15}}},
		{"overlap, some changed", []row{{0, 11}, {1, 12}, {2, 13}}, []row{{1, 12}, {2, 19}, {3, 14}}},
		{"stored file unsorted with duplicates", []row{{3, 11}, {1, 12}, {3, 13}}, []row{{1, 12}, {2, 14}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, incoming := batch(tc.old), batch(tc.new)
			model := map[int64]float64{}
			for _, r := range tc.old {
				model[r.min] = r.close
			}
			oldModel := maps.Clone(model)
			var added, replaced int
			newModel := map[int64]float64{}
			for _, r := range tc.new {
				newModel[r.min] = r.close
			}
			for m, c := range newModel {
				if prev, ok := oldModel[m]; !ok {
					added++
				} else if prev != c {
					replaced++
				}
				model[m] = c
			}
			merged, st, err := Merge(mem, old, incoming)
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for m := range model {
				want = append(want, m)
			}
			slices.Sort(want)
			rows := Rows(merged)
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			for i, r := range rows {
				if m := (r.OpenTime - t0) / 60_000; m != want[i] || r.Close != model[m] {
					t.Fatalf("row %d: minute %d close %v; want minute %d close %v", i, m, r.Close, want[i], model[want[i]])
				}
			}
			if st.Added != added || st.Replaced != replaced || st.Rows != len(want) || st.Existing != len(tc.old) || st.Incoming != len(tc.new) {
				t.Errorf("stats %+v; want added %d replaced %d rows %d", st, added, replaced, len(want))
			}
			merged.Release()
			for _, r := range []arrow.RecordBatch{old, incoming} {
				if r != nil {
					r.Release()
				}
			}
		})
	}
}
