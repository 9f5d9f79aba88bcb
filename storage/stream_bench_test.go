package storage_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// benchStreamRows is what one op of the streaming benchmarks moves: a
// million trades, several row groups.
const benchStreamRows = 1 << 20

// benchTradeBatches builds benchStreamRows synthetic trades once, in the
// 64Ki-row batches a CSV decoder hands over.
func benchTradeBatches(b *testing.B) []arrow.RecordBatch {
	b.Helper()
	var recs []arrow.RecordBatch
	err := tradeBatches(memory.DefaultAllocator, 0, benchStreamRows, 64<<10, func(rec arrow.RecordBatch) error {
		rec.Retain()
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs
}

func benchLocalStore(b *testing.B) *storage.Store {
	b.Helper()
	be, err := storage.NewLocalBackend(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return storage.NewStore(be, memory.DefaultAllocator, storage.WriteOptions{Producer: "lakehouse bench"})
}

// BenchmarkWriteStream is WriteStream of a million trades to a local file
// (zstd, fsync, rename): rows/s and Arrow bytes/s written.
func BenchmarkWriteStream(b *testing.B) {
	recs := benchTradeBatches(b)
	store := benchLocalStore(b)
	ctx := context.Background()
	b.SetBytes(int64(benchStreamRows * tradeRowBytes))
	b.ReportAllocs()
	for b.Loop() {
		_, err := store.WriteStream(ctx, tradesKey, tradesSchema, nil, func(w storage.BatchWriter) error {
			for _, rec := range recs {
				if err := w.Write(rec); err != nil {
					return err
				}
			}
			return nil
		}, storage.Precondition{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchStreamRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadStream reads that file back in batches of
// DefaultStreamBatch rows.
func BenchmarkReadStream(b *testing.B) {
	recs := benchTradeBatches(b)
	store := benchLocalStore(b)
	ctx := context.Background()
	_, err := store.WriteStream(ctx, tradesKey, tradesSchema, nil, func(w storage.BatchWriter) error {
		for _, rec := range recs {
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		return nil
	}, storage.Precondition{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(benchStreamRows * tradeRowBytes))
	b.ReportAllocs()
	for b.Loop() {
		rr, _, err := store.ReadStream(ctx, tradesKey, tradesSchema, 0)
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		for rr.Next() {
			n += rr.RecordBatch().NumRows()
		}
		if rr.Err() != nil || n != benchStreamRows {
			b.Fatalf("%d rows: %v", n, rr.Err())
		}
		rr.Release()
	}
	b.ReportMetric(float64(benchStreamRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
