package transform

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchTradesCSV is n spot trade rows as a 2025 archive file has them:
// Binance's 8 decimal places, µs times, True/False.
func benchTradesCSV(n int) []byte {
	var buf bytes.Buffer
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 8, 64) }
	for i := range n {
		p, q := 94000+float64(i%997)*0.01, 0.00001+float64(i%113)*0.0013
		fmt.Fprintf(&buf, "%d,%s,%s,%s,%d,%s,True\n", 4_120_000_000+i, f(p), f(q), f(p*q),
			1735689600000000+int64(i)*37, [...]string{"True", "False"}[i%2])
	}
	return buf.Bytes()
}

// benchAggTradesCSV is n futures agg trade rows with a header, ms times.
func benchAggTradesCSV(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString("agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n")
	for i := range n {
		fmt.Fprintf(&buf, "%d,%.1f,%.3f,%d,%d,%d,%s\n", 2_500_000_000+i, 94000+float64(i%997)*0.1,
			0.001+float64(i%113)*0.013, 5_000_000_000+2*i, 5_000_000_001+2*i, 1735689600000+int64(i/10),
			[...]string{"true", "false"}[i%2])
	}
	return buf.Bytes()
}

// BenchmarkReadTradesCSV is the archive path of trades: an unzipped CSV
// streamed into Arrow batches of DefaultBatchRows (rows/s per core).
func BenchmarkReadTradesCSV(b *testing.B) {
	const n = 1 << 18
	data := benchTradesCSV(n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		tb, _ := NewTradesBuilder(memory.DefaultAllocator, "spot")
		rows := 0
		err := ReadTradesCSV(bytes.NewReader(data), tb, 0, func(rec arrow.RecordBatch) error {
			rows += int(rec.NumRows())
			return nil
		})
		if err != nil || rows != n {
			b.Fatalf("%d rows, %v, %v", rows, err, tb.Rejected.Examples())
		}
		tb.Release()
	}
	reportRows(b, n)
}

// BenchmarkReadAggTradesCSV is the same for a futures aggTrades CSV.
func BenchmarkReadAggTradesCSV(b *testing.B) {
	const n = 1 << 18
	data := benchAggTradesCSV(n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		ab, _ := NewAggTradesBuilder(memory.DefaultAllocator, "usdm")
		rows := 0
		err := ReadAggTradesCSV(bytes.NewReader(data), ab, 0, func(rec arrow.RecordBatch) error {
			rows += int(rec.NumRows())
			return nil
		})
		if err != nil || rows != n {
			b.Fatalf("%d rows, %v, %v", rows, err, ab.Rejected.Examples())
		}
		ab.Release()
	}
	reportRows(b, n)
}

// BenchmarkMergeByKeyTrades merges two halves of 256Ki trades that
// overlap by one row, as a rerun over the end of a stored day does
// (rows/s counts the output rows).
func BenchmarkMergeByKeyTrades(b *testing.B) {
	const n = 1 << 18
	tb, _ := NewTradesBuilder(memory.DefaultAllocator, "spot")
	defer tb.Release()
	var rec arrow.RecordBatch
	err := ReadTradesCSV(bytes.NewReader(benchTradesCSV(n)), tb, n, func(r arrow.RecordBatch) error { r.Retain(); rec = r; return nil })
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Release()
	stored, incoming := rec.NewSlice(0, n/2+1), rec.NewSlice(n/2, n)
	defer stored.Release()
	defer incoming.Release()
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := MergeByKey(memory.DefaultAllocator, stored, incoming)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	reportRows(b, n)
}
