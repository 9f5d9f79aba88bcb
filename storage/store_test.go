package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

func TestStoreRoundTripAndFooter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	b, err := storage.NewLocalBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := storage.NewStore(b, mem, storage.WriteOptions{Producer: "lakehouse test"})
	iv := transform.Interval("1m")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	bld := transform.NewBuilder(mem, iv)
	defer bld.Release()
	for i := int64(0); i < 3000; i++ {
		open := t0 + i*60000
		bld.Append(transform.Kline{OpenTime: open, Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: float64(i), CloseTime: iv.CloseTime(open), QuoteVolume: 3, Trades: i, TakerBuyBase: 0.25, TakerBuyQuote: 0.75})
	}
	rec := bld.NewRecord()
	defer rec.Release()
	key := storage.Key{Dataset: "klines", Market: "spot", Interval: "1m", Symbol: "BTCUSDT", Period: "2024-01"}
	ctx := context.Background()
	if _, _, err := store.Read(ctx, key); !storage.IsNotExist(err) {
		t.Fatalf("read before write: %v", err)
	}
	info, err := store.Write(ctx, key, rec, nil, storage.Precondition{IfNoneMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "silver/klines/market=spot/interval=1m/symbol=BTCUSDT/2024-01.parquet")
	if fi, err := os.Stat(path); err != nil || fi.Size() != info.Size {
		t.Fatalf("file %s: %v (size %d vs %d)", path, err, fi.Size(), info.Size)
	}
	got, stored, err := store.Read(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if !array.RecordEqual(got, rec) {
		t.Fatal("read back differs from what was written")
	}
	if !got.Schema().Equal(transform.Schema) {
		t.Fatalf("schema %s", got.Schema())
	}
	fm, err := store.Meta(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if fm.Rows != 3000 || !fm.HasStats || fm.MinKey != t0 || fm.MaxKey != t0+2999*60000 ||
		fm.SchemaVersion != transform.SchemaVersion || fm.Producer != "lakehouse test" || fm.Version != stored.Version {
		t.Fatalf("footer %+v", fm)
	}
	keys, err := store.List(ctx, key.Series())
	if err != nil || len(keys) != 1 || keys[0] != key {
		t.Fatalf("list = %v, %v", keys, err)
	}
}

func TestParseKey(t *testing.T) {
	k := storage.Key{Dataset: "klines", Market: "coinm", Interval: "1M", Symbol: "BTCUSD_PERP", Period: "2024"}
	got, ok := storage.ParseKey(k.Path())
	if !ok || got != k {
		t.Fatalf("ParseKey(%s) = %v %v", k.Path(), got, ok)
	}
	for _, bad := range []string{
		"silver/klines/market=spot/interval=1m/symbol=BTCUSDT/.2024-01.parquet.tmp-1",
		"silver/klines/market=spot/interval=1m/2024-01.parquet",
		"bronze/klines/market=spot/interval=1m/symbol=BTCUSDT/2024-01.parquet",
		"silver/klines/market=spot/interval=1m/symbol=BTCUSDT/2024-01.csv",
	} {
		if _, ok := storage.ParseKey(bad); ok {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestParseOutput(t *testing.T) {
	for in, want := range map[string]string{"./lake": "./lake", "file:///data/lake": "/data/lake", "/abs": "/abs"} {
		u, err := storage.ParseOutput(in)
		if err != nil || u.Scheme != "file" || u.Path != want {
			t.Errorf("ParseOutput(%q) = %v, %v", in, u, err)
		}
	}
	for _, bad := range []string{"", "ftp://host/x", "file://"} {
		if _, err := storage.ParseOutput(bad); err == nil {
			t.Errorf("ParseOutput(%q) accepted", bad)
		}
	}
}
