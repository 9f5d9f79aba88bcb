package transform

import (
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchRaw returns n valid 1m candles from start as Binance sends them over
// REST: decimals as strings with Binance's 8 decimal places.
func benchRaw(start int64, n int) []RawKline {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 8, 64) }
	out := make([]RawKline, n)
	for i := range out {
		ot := start + int64(i)*60_000
		o := 42000 + float64(i%97)*1.25
		out[i] = RawKline{
			OpenTime: ot, Open: f(o), High: f(o + 12.5), Low: f(o - 7.75), Close: f(o + 3.5),
			Volume: f(12.345678), CloseTime: ot + 59_999, QuoteAssetVolume: f(518520.12345678),
			TradeNum: int64(1000 + i%500), TakerBuyBaseAssetVolume: f(6.1), TakerBuyQuoteAssetVolume: f(256200.5),
		}
	}
	return out
}

// benchRecord builds a batch of n valid 1m candles from start.
func benchRecord(b *testing.B, mem memory.Allocator, start int64, n int) arrow.RecordBatch {
	b.Helper()
	bd := NewBuilder(mem, "1m")
	defer bd.Release()
	bd.Reserve(n)
	for _, r := range benchRaw(start, n) {
		if !bd.AppendRaw(r) {
			b.Fatalf("rejected: %v", bd.Rejected.Examples())
		}
	}
	return bd.NewRecord()
}

const benchStart = 1704067200000 // 2024-01-01T00:00:00Z

// BenchmarkParseAppend1000 is the REST path's transform: 1000 raw klines
// (one page) parsed, validated and appended to Arrow builders, then taken
// out as a record batch.
func BenchmarkParseAppend1000(b *testing.B) {
	raw := benchRaw(benchStart, 1000)
	b.ReportAllocs()
	for b.Loop() {
		bd := NewBuilder(memory.DefaultAllocator, "1m")
		bd.Reserve(len(raw))
		for _, r := range raw {
			bd.AppendRaw(r)
		}
		rec := bd.NewRecord()
		rec.Release()
		bd.Release()
	}
	reportRows(b, len(raw))
}

// BenchmarkAppend1000 is the same without the string parse (the archive
// path parses CSV itself and appends Klines).
func BenchmarkAppend1000(b *testing.B) {
	raw := benchRaw(benchStart, 1000)
	ks := make([]Kline, len(raw))
	for i, r := range raw {
		k, err := r.Parse()
		if err != nil {
			b.Fatal(err)
		}
		ks[i] = k
	}
	// The loop repeats BenchmarkParseAppend1000's on purpose: through a
	// shared helper taking an append func the Builder escapes to the heap,
	// which the benchmark would then count.
	b.ReportAllocs()
	for b.Loop() {
		bd := NewBuilder(memory.DefaultAllocator, "1m")
		bd.Reserve(len(ks))
		for _, k := range ks {
			bd.Append(k)
		}
		rec := bd.NewRecord()
		rec.Release()
		bd.Release()
	}
	reportRows(b, len(ks))
}

// reportRows reports rows handled per op as rows/s.
func reportRows(b *testing.B, rows int) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkMerge merges a day of new candles, half overlapping, into a
// stored month (44,640 rows), as a daily run does with one monthly file.
func BenchmarkMerge(b *testing.B) {
	mem := memory.DefaultAllocator
	month := benchRecord(b, mem, benchStart, 44_640)
	defer month.Release()
	day := benchRecord(b, mem, benchStart+(44_640-720)*60_000, 1440)
	defer day.Release()
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := Merge(mem, month, day)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	reportRows(b, int(month.NumRows()+day.NumRows()))
}

// BenchmarkMergeIntoEmpty is the first write of a month: no stored rows.
func BenchmarkMergeIntoEmpty(b *testing.B) {
	mem := memory.DefaultAllocator
	month := benchRecord(b, mem, benchStart, 44_640)
	defer month.Release()
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := Merge(mem, nil, month)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	reportRows(b, int(month.NumRows()))
}
