package transform

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// usdmTrades builds a usdm trades batch of (id, time µs) rows, bypassing the
// builder's order checks.
func usdmTrades(t *testing.T, mem memory.Allocator, rows ...[2]int64) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, USDMTradesSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(tIdxID).(*array.Int64Builder).Append(r[0])
		b.Field(tIdxPrice).(*array.Float64Builder).Append(100)
		b.Field(tIdxQty).(*array.Float64Builder).Append(1)
		b.Field(tIdxQuoteQty).(*array.Float64Builder).Append(100)
		b.Field(tIdxTime).(*array.TimestampBuilder).Append(arrow.Timestamp(r[1]))
		b.Field(tIdxBuyerMaker).(*array.BooleanBuilder).Append(false)
	}
	return b.NewRecordBatch()
}

// TestTradesCheckerAcrossFiles: duplicates, unsorted rows, id gaps (also
// between files) and times going back are each reported once, with ids.
func TestTradesCheckerAcrossFiles(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	const t0 = int64(1_709_251_200_000_000) // 2024-03-01 µs
	c := TradesData.Checker(CheckScope{Market: "usdm"})
	files := [][][2]int64{
		{{10, t0}, {11, t0 + 5}, {11, t0 + 5}, {9, t0 + 6}, {12, t0 + 7}, {15, t0 + 9}, {16, t0 + 8}},
		{{18, t0 + 10}, {19, t0 + 11}},
	}
	var got []Problem
	for i, rows := range files {
		c.StartFile(FileInfo{Period: "2024-03-01", Last: i == len(files)-1})
		rec := usdmTrades(t, mem, rows...)
		got = append(got, c.Check(rec)...)
		rec.Release()
		got = append(got, c.EndFile()...)
	}
	c.Close()
	want := []struct {
		kind string
		ids  []int64
		has  string
	}{
		{ProblemDuplicate, []int64{11}, "trade 11 stored twice"},
		{ProblemUnsorted, []int64{9}, "trade 9 at 2024-03-01T00:00:00.000006Z follows trade 11"},
		{ProblemIDGap, []int64{13, 14}, "ids 13..14 missing (2) between 2024-03-01T00:00:00.000007Z and 2024-03-01T00:00:00.000009Z; Binance's futures"},
		{ProblemTimeOrder, []int64{16}, "trade 16 at 2024-03-01T00:00:00.000008Z is older than trade 15"},
		{ProblemIDGap, []int64{17, 17}, "ids 17..17 missing (1)"},
	}
	if len(got) != len(want) {
		t.Fatalf("problems %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || len(g.IDs) != len(w.ids) || g.IDs[0] != w.ids[0] || g.IDs[len(g.IDs)-1] != w.ids[len(w.ids)-1] || !strings.Contains(g.Detail, w.has) {
			t.Errorf("problem %d: %+v, want %s %v %q", i, g, w.kind, w.ids, w.has)
		}
	}
}

// TestTradesCheckerCapsPerFile: a reversed file lists perFileCap problems
// of a kind and counts the rest in one line.
func TestTradesCheckerCapsPerFile(t *testing.T) {
	c := TradesData.Checker(CheckScope{Market: "usdm"})
	var rows [][2]int64
	for id := int64(100); id > 0; id-- {
		rows = append(rows, [2]int64{id, 1_709_251_200_000_000})
	}
	rec := usdmTrades(t, memory.DefaultAllocator, rows...)
	defer rec.Release()
	c.StartFile(FileInfo{Period: "2024-03-01"})
	got := append(c.Check(rec), c.EndFile()...)
	if len(got) != perFileCap+1 || !strings.Contains(got[perFileCap].Detail, "79 more unsorted problems") {
		t.Fatalf("%d problems, last %+v", len(got), got[len(got)-1])
	}
}
