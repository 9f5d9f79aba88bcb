package storage_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// TestS3LegacyMonthlyFolder: on S3 the monthly series in the legacy
// interval=1M prefix is refused with an aws s3 mv command that, run as
// given, moves it to interval=1mo.
func TestS3LegacyMonthlyFolder(t *testing.T) {
	s := testS3Server(t)
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("no aws CLI to run the move command")
	}
	b := s.newBackend(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	minute, monthly := monthlyAndMinute(t, mem)
	minute.Release()
	defer monthly.Release()
	legacyName := "silver/klines/market=spot/interval=1M/symbol=BTCUSDT/2024.parquet"
	mo := storage.Key{Dataset: "klines", Market: "spot", Interval: "1M", Symbol: "BTCUSDT", Period: "2024"}
	// What an older version wrote: a monthly file at the legacy name.
	root := t.TempDir()
	local, err := storage.NewLocalBackend(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.NewStore(local, mem, storage.WriteOptions{}).Write(ctx, mo, monthly, nil, storage.Precondition{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(mo.Path())))
	if err != nil {
		t.Fatal(err)
	}
	if err := putBytes(t, b, legacyName, data, storage.Precondition{}); err != nil {
		t.Fatal(err)
	}

	store := storage.NewStore(b, mem, storage.WriteOptions{})
	if _, err := store.List(ctx, mo.Series()); !errors.Is(err, storage.ErrLegacyLayout) {
		t.Fatalf("list: %v, want ErrLegacyLayout", err)
	}
	_, legacy, err := store.Scan(ctx)
	if err != nil || len(legacy) != 1 {
		t.Fatalf("legacy folders %v, %v", legacy, err)
	}
	if out, err := exec.Command("sh", "-c", legacy[0].Move).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", legacy[0].Move, err, out)
	}
	store = storage.NewStore(b, mem, storage.WriteOptions{})
	if got, err := store.List(ctx, mo.Series()); err != nil || !slices.Equal(got, []storage.Key{mo}) {
		t.Fatalf("after %s: %v, %v", legacy[0].Move, got, err)
	}
	back, _, err := store.Read(ctx, mo)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Release()
	if back.NumRows() != monthly.NumRows() {
		t.Fatalf("%d rows after the move, want %d", back.NumRows(), monthly.NumRows())
	}
}
