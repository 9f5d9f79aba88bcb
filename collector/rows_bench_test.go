package collector

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// benchTradesPerMinute makes the benchmark's day 1.44M rows (a 31 MB zip,
// 108 MB of CSV): big enough to reach a steady state, built in about a
// second. make bench's trades race uses 5000 a minute.
const benchTradesPerMinute = 1000

// tradesDayZip builds the fake's spot BTCUSDT trades zip of 2024-03-01
// into a folder of b's and returns its path. b.Loop runs the benchmark
// function once, so the zip is built once.
func tradesDayZip(b *testing.B) string {
	dir := b.TempDir()
	fake := binancetest.New(binancetest.WithClock(func() time.Time { return time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC) }),
		binancetest.WithTrades(binancetest.Spot, benchTradesPerMinute, "BTCUSDT"), binancetest.WithTradesZipDir(dir))
	defer fake.Close()
	p := binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", false, true, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	resp, err := http.Get(fake.URL() + p)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %s", p, resp.Status)
	}
	return filepath.Join(dir, filepath.FromSlash(p[1:]))
}

// BenchmarkTradesArchiveDay is the trades archive path after the download,
// in one process: a day's zip on disk (1.44M spot trades) inflated,
// parsed, validated, built into Arrow and streamed as Parquet zstd into an
// empty local lake (one file). No HTTP, no SHA-256.
func BenchmarkTradesArchiveDay(b *testing.B) {
	path := tradesDayZip(b)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	task := Task{Dataset: transform.TradesData, Market: Spot, Symbol: "BTCUSDT",
		Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), End: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC).UnixMilli()}
	b.SetBytes(st.Size())
	rows := 0
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		be, err := storage.NewLocalBackend(dir)
		if err != nil {
			b.Fatal(err)
		}
		r := &Runner{Sink: storage.NewStore(be, memory.DefaultAllocator, storage.WriteOptions{Producer: "bench"}),
			Mem: memory.DefaultAllocator, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		res := &TaskResult{Task: task}
		w := newRowsWriter(context.Background(), r, task, res)
		b.StartTimer()
		// decodeRowsZip's steps: the CSV of the zip, parsed into w.
		rc, err := openRowsCSV(f, st.Size())
		if err == nil {
			err = rowsSources[transform.TradesData].readCSV(r.Mem, task.Market, rc, &res.Rejected, w.add)
			err = errors.Join(err, rc.Close())
		}
		if err := errors.Join(err, w.close()); err != nil {
			b.Fatal(err)
		}
		rows = res.Added
	}
	if rows != benchTradesPerMinute*1440 {
		b.Fatalf("%d rows added, want %d", rows, benchTradesPerMinute*1440)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRowsZipCSV is the inflate stage of BenchmarkTradesArchiveDay
// alone: the day's zip memory-mapped and inflated through the read-ahead,
// whose buffers the reader borrows (no parsing).
func BenchmarkRowsZipCSV(b *testing.B) {
	path := tradesDayZip(b)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	b.SetBytes(st.Size())
	for b.Loop() {
		rc, err := openRowsCSV(f, st.Size())
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rc.(*readAhead).NextChunk()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		rc.Close()
	}
}
