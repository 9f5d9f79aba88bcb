package collector

import (
	"archive/zip"
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// benchMonthCSV is one month of 1m spot candles (44,640 rows) in the
// archive's format: no header, times in ms, Binance's 8 decimal places.
func benchMonthCSV() []byte {
	const start, rows = 1704067200000, 44_640 // 2024-01
	f := func(b []byte, v float64) []byte { return append(strconv.AppendFloat(b, v, 'f', 8, 64), ',') }
	var buf bytes.Buffer
	line := make([]byte, 0, 256)
	for i := range rows {
		ot := int64(start + i*60_000)
		o := 42000 + float64(i%97)*1.25
		line = append(strconv.AppendInt(line[:0], ot, 10), ',')
		line = f(line, o)
		line = f(line, o+12.5)
		line = f(line, o-7.75)
		line = f(line, o+3.5)
		line = f(line, 12.345678)
		line = append(strconv.AppendInt(line, ot+59_999, 10), ',')
		line = f(line, 518520.12345678)
		line = append(strconv.AppendInt(line, int64(1000+i%500), 10), ',')
		line = f(line, 6.1)
		line = strconv.AppendFloat(line, 256200.5, 'f', 8, 64)
		line = append(line, ",0\n"...)
		buf.Write(line)
	}
	return buf.Bytes()
}

// benchMonthFile is the archive file benchMonthCSV stands for.
var benchMonthFile = ArchiveFile{Market: Spot, Symbol: "BTCUSDT", Interval: "1m", Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}

func benchZip(b testing.TB, csv []byte) []byte {
	b.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("BTCUSDT-1m-2024-01.csv")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.Write(csv); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadCSVMonth is the archive CSV parse alone: one month of lines
// to Klines.
func BenchmarkReadCSVMonth(b *testing.B) {
	csv := benchMonthCSV()
	b.SetBytes(int64(len(csv)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		if err := readCSV(bytes.NewReader(csv), func(transform.Kline) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, n)
}

// BenchmarkDecodeZipToArrow is the archive path after the download: inflate
// one monthly zip, parse its CSV, validate and append to Arrow builders,
// take the record batch. No HTTP, checksum or Parquet.
func BenchmarkDecodeZipToArrow(b *testing.B) {
	csv := benchMonthCSV()
	zipped := benchZip(b, csv)
	b.SetBytes(int64(len(csv))) // uncompressed CSV bytes, comparable with BenchmarkReadCSVMonth
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		bd := transform.NewBuilder(memory.DefaultAllocator, "1m")
		err := decodeZip(zipped, limitsOf(benchMonthFile), func(k transform.Kline) error {
			bd.Append(k)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		rec := bd.NewRecord()
		rows = int(rec.NumRows())
		rec.Release()
		bd.Release()
	}
	if rows != 44_640 {
		b.Fatalf("%d rows, want 44640", rows)
	}
	reportRows(b, rows)
}

// reportRows reports rows handled per op as rows/s.
func reportRows(b *testing.B, rows int) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
