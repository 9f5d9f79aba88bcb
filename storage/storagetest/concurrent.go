package storagetest

import (
	"context"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// testConcurrentMerges has several writers merge overlapping ranges into
// one Parquet file at once, as overlapping collect runs do: every candle
// must end up stored exactly once.
func testConcurrentMerges(t *testing.T, b storage.Backend) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	const writers, rounds, span = 3, 3, 2000
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := storage.NewStore(b, mem, storage.WriteOptions{Producer: "lakehouse storagetest"})
			for r := 0; r < rounds; r++ {
				// Writer w covers [w*span/2 + r*span, +span): neighbours overlap.
				from := int64(w*span/2 + r*span)
				rec := klines(t, mem, from, from+span)
				err := mergeWrite(ctx, s, mem, jan, rec)
				rec.Release()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := storage.NewStore(b, mem, storage.WriteOptions{})
	got, _, err := s.Read(ctx, jan)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	last := int64((writers-1)*span/2 + rounds*span)
	rows := transform.Rows(got)
	if int64(len(rows)) != last {
		t.Fatalf("%d candles stored, want %d (each exactly once)", len(rows), last)
	}
	for i, k := range rows {
		if k.OpenTime != t0+int64(i)*60_000 {
			t.Fatalf("row %d opens at %d, want %d", i, k.OpenTime, t0+int64(i)*60_000)
		}
	}
}
