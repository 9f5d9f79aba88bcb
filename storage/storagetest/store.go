package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// RunStore runs the Parquet-level cases against a Store over fresh, empty
// backends: what collect relies on for merge, idempotence and resume.
func RunStore(t *testing.T, newBackend func(t *testing.T) storage.Backend) {
	t.Run("MergeAndResumeWatermark", func(t *testing.T) { testMergeResume(t, newBackend(t)) })
	t.Run("ConcurrentMergesLoseNoRows", func(t *testing.T) { testConcurrentMerges(t, newBackend(t)) })
}

var (
	series = storage.Series{Dataset: "klines", Market: "spot", Interval: "1m", Symbol: "BTCUSDT"}
	jan    = series.Key("2024-01")
	t0     = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

// klines builds candles from..to-1 (minute indexes after t0).
func klines(t *testing.T, mem memory.Allocator, from, to int64) arrow.RecordBatch {
	t.Helper()
	iv := transform.Interval("1m")
	b := transform.NewBuilder(mem, iv)
	defer b.Release()
	for i := from; i < to; i++ {
		open := t0 + i*60_000
		if !b.Append(transform.Kline{OpenTime: open, Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: float64(i),
			CloseTime: iv.CloseTime(open), QuoteVolume: 3, Trades: i, TakerBuyBase: 0.25, TakerBuyQuote: 0.75}) {
			t.Fatalf("candle %d rejected", i)
		}
	}
	return b.NewRecord()
}

// mergeWrite is collect's read-merge-conditional-write loop in miniature.
func mergeWrite(ctx context.Context, s *storage.Store, mem memory.Allocator, key storage.Key, rec arrow.RecordBatch) error {
	for attempt := 0; attempt < 100; attempt++ {
		old, stored, err := s.Read(ctx, key)
		cond := storage.Precondition{IfMatch: stored.Version}
		switch {
		case storage.IsNotExist(err):
			cond = storage.Precondition{IfNoneMatch: true}
		case errors.Is(err, storage.ErrPrecondition):
			continue // replaced while being read
		case err != nil:
			return err
		}
		merged, _, err := transform.Merge(mem, old, rec)
		if old != nil {
			old.Release()
		}
		if err != nil {
			return err
		}
		_, err = s.Write(ctx, key, merged, nil, cond)
		merged.Release()
		if !errors.Is(err, storage.ErrPrecondition) {
			return err
		}
	}
	return errors.New("too many conflicts")
}

func testMergeResume(t *testing.T, b storage.Backend) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	s := storage.NewStore(b, mem, storage.WriteOptions{Producer: "lakehouse storagetest"})
	// Big enough (about 200 KB) that Parquet data lies outside the footer
	// region a backend may prefetch.
	steps := []struct{ from, to, wantRows int64 }{{0, 6000, 6000}, {3000, 9000, 9000}, {0, 9000, 9000}}
	for _, st := range steps {
		rec := klines(t, mem, st.from, st.to)
		err := mergeWrite(ctx, s, mem, jan, rec)
		rec.Release()
		if err != nil {
			t.Fatalf("merge %d..%d: %v", st.from, st.to, err)
		}
		fm, err := s.Meta(ctx, jan)
		if err != nil {
			t.Fatal(err)
		}
		// The resume watermark comes from the footer alone.
		if fm.Rows != st.wantRows || !fm.HasStats || fm.MinKey != t0 || fm.MaxKey != t0+(st.wantRows-1)*60_000 {
			t.Fatalf("after merge %d..%d footer %+v", st.from, st.to, fm)
		}
	}
	got, _, err := s.Read(ctx, jan)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	want := klines(t, mem, 0, 9000)
	defer want.Release()
	if !array.RecordEqual(got, want) {
		t.Fatal("merged file differs from the union of the batches")
	}
	keys, err := s.List(ctx, series)
	if err != nil || len(keys) != 1 || keys[0] != jan {
		t.Fatalf("list = %v, %v", keys, err)
	}
}
