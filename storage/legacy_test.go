package storage_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// No two intervals' folders may differ only in case, and every key still
// parses back to itself.
func TestIntervalFoldersIgnoringCase(t *testing.T) {
	seen := map[string]transform.Interval{}
	for _, iv := range transform.Intervals {
		folder := strings.ToLower(storage.IntervalFolder(iv.String()))
		if other, dup := seen[folder]; dup {
			t.Errorf("intervals %s and %s share the folder interval=%s on a case-insensitive file system", other, iv, folder)
		}
		seen[folder] = iv
		if alias, err := transform.ParseInterval(storage.IntervalFolder(iv.String())); err != nil || alias != iv {
			t.Errorf("folder name %q of %s does not parse back as an interval: %v, %v", storage.IntervalFolder(iv.String()), iv, alias, err)
		}
		k := storage.Key{Dataset: "klines", Market: "spot", Interval: iv.String(), Symbol: "BTCUSDT", Period: "2024"}
		if got, ok := storage.ParseKey(k.Path()); !ok || got != k {
			t.Errorf("ParseKey(%s) = %v, %v", k.Path(), got, ok)
		}
	}
	if p := (storage.Key{Dataset: "klines", Market: "spot", Interval: "1M", Symbol: "BTCUSDT", Period: "2024"}).Path(); p != "silver/klines/market=spot/interval=1mo/symbol=BTCUSDT/2024.parquet" {
		t.Errorf("monthly path %s", p)
	}
	if k, ok := storage.ParseKey("silver/klines/market=spot/interval=1M/symbol=BTCUSDT/2024.parquet"); ok {
		t.Errorf("legacy name parsed as %v", k)
	}
}

// caseInsensitive is a backend like a folder on macOS or Windows: names
// that differ only in case are one object; a listing reports names in the
// spelling asked for, as a walk from that path does.
type caseInsensitive struct{ storage.Backend }

func (c caseInsensitive) Open(ctx context.Context, name string) (storage.Object, error) {
	return c.Backend.Open(ctx, strings.ToLower(name))
}

func (c caseInsensitive) Put(ctx context.Context, name string, write func(io.Writer) error, cond storage.Precondition) (storage.ObjectInfo, error) {
	info, err := c.Backend.Put(ctx, strings.ToLower(name), write, cond)
	info.Name = name
	return info, err
}

func (c caseInsensitive) List(ctx context.Context, prefix string) ([]storage.ObjectInfo, error) {
	infos, err := c.Backend.List(ctx, strings.ToLower(prefix))
	for i := range infos {
		infos[i].Name = prefix + infos[i].Name[len(prefix):]
	}
	return infos, err
}

func monthlyAndMinute(t *testing.T, mem memory.Allocator) (minute, monthly arrow.RecordBatch) {
	t.Helper()
	build := func(iv transform.Interval, n int) arrow.RecordBatch {
		b := transform.NewBuilder(mem, iv)
		defer b.Release()
		open := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		for range n {
			b.Append(transform.Kline{OpenTime: open, Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 1, CloseTime: iv.CloseTime(open), QuoteVolume: 1, Trades: 1, TakerBuyBase: 0.5, TakerBuyQuote: 0.5})
			open = iv.Next(open)
		}
		return b.NewRecord()
	}
	return build("1m", 60), build("1M", 3)
}

// TestMinuteAndMonthlyOnCaseInsensitiveFolder: on a case-insensitive file
// system the 1m and 1M series of a symbol keep apart; with both stored
// under interval=1m/interval=1M the monthly series listed the minute files.
func TestMinuteAndMonthlyOnCaseInsensitiveFolder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	local, err := storage.NewLocalBackend(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := storage.NewStore(caseInsensitive{local}, mem, storage.WriteOptions{})
	ctx := context.Background()
	minute, monthly := monthlyAndMinute(t, mem)
	defer minute.Release()
	defer monthly.Release()
	keys := map[arrow.RecordBatch]storage.Key{
		minute:  {Dataset: "klines", Market: "spot", Interval: "1m", Symbol: "BTCUSDT", Period: "2024-01"},
		monthly: {Dataset: "klines", Market: "spot", Interval: "1M", Symbol: "BTCUSDT", Period: "2024"},
	}
	for rec, k := range keys {
		if _, err := store.Write(ctx, k, rec, nil, storage.Precondition{IfNoneMatch: true}); err != nil {
			t.Fatal(err)
		}
	}
	for rec, k := range keys {
		got, err := store.List(ctx, k.Series())
		if err != nil || !slices.Equal(got, []storage.Key{k}) {
			t.Errorf("%s series lists %v, %v; want only %s", k.Interval, got, err, k)
		}
		back, _, err := store.Read(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if back.NumRows() != rec.NumRows() {
			t.Errorf("%s: read %d rows, want %d", k, back.NumRows(), rec.NumRows())
		}
		back.Release()
	}
}

// TestLegacyMonthlyFolder: monthly files an older version left under
// interval=1M (or, on a case-insensitive file system, among the 1m files)
// stop the monthly series with the command that moves them, nothing is
// written beside them, the other series are untouched, and after the
// command the series resumes from them.
func TestLegacyMonthlyFolder(t *testing.T) {
	for _, legacyFolder := range []string{"interval=1M", "interval=1m"} {
		t.Run(legacyFolder, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			root := t.TempDir()
			local, err := storage.NewLocalBackend(root)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			minute, monthly := monthlyAndMinute(t, mem)
			defer minute.Release()
			defer monthly.Release()
			mKey := storage.Key{Dataset: "klines", Market: "spot", Interval: "1m", Symbol: "BTCUSDT", Period: "2024-01"}
			mo := storage.Key{Dataset: "klines", Market: "spot", Interval: "1M", Symbol: "BTCUSDT", Period: "2024"}
			store := storage.NewStore(local, mem, storage.WriteOptions{})
			for k, rec := range map[storage.Key]arrow.RecordBatch{mKey: minute, mo: monthly} {
				if _, err := store.Write(ctx, k, rec, nil, storage.Precondition{IfNoneMatch: true}); err != nil {
					t.Fatal(err)
				}
			}
			// What an older version left: the monthly file under legacyFolder.
			oldDir := filepath.Join(root, "silver/klines/market=spot", legacyFolder, "symbol=BTCUSDT")
			if err := os.MkdirAll(oldDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(root, filepath.FromSlash(mo.Path())), filepath.Join(oldDir, "2024.parquet")); err != nil {
				t.Fatal(err)
			}

			store = storage.NewStore(local, mem, storage.WriteOptions{})
			_, err = store.List(ctx, mo.Series())
			if !errors.Is(err, storage.ErrLegacyLayout) || !strings.Contains(err.Error(), legacyFolder+"/symbol=BTCUSDT") {
				t.Fatalf("list of the monthly series: %v, want ErrLegacyLayout naming the folder", err)
			}
			if _, err := store.Write(ctx, mo, monthly, nil, storage.Precondition{IfNoneMatch: true}); !errors.Is(err, storage.ErrLegacyLayout) {
				t.Fatalf("write beside the legacy folder: %v", err)
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(mo.Path()))); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a monthly file was written beside the legacy one: %v", err)
			}
			if got, err := store.List(ctx, mKey.Series()); err != nil || !slices.Equal(got, []storage.Key{mKey}) {
				t.Fatalf("1m series: %v, %v", got, err)
			}
			cat, legacy, err := store.Scan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(cat) != 1 || len(cat[mKey.Series()]) != 1 {
				t.Fatalf("catalog %v: want only the 1m file", cat)
			}
			if len(legacy) != 1 || legacy[0].Series != mo.Series() || legacy[0].Files != 1 || legacy[0].Dir != "silver/klines/market=spot/"+legacyFolder+"/symbol=BTCUSDT" {
				t.Fatalf("legacy folders %+v", legacy)
			}

			// The user runs the command the message gives.
			if out, err := exec.Command("sh", "-c", legacy[0].Move).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", legacy[0].Move, err, out)
			}
			store = storage.NewStore(local, mem, storage.WriteOptions{})
			for k, rec := range map[storage.Key]arrow.RecordBatch{mKey: minute, mo: monthly} {
				got, err := store.List(ctx, k.Series())
				if err != nil || !slices.Equal(got, []storage.Key{k}) {
					t.Fatalf("after the move %s lists %v, %v", k.Interval, got, err)
				}
				back, _, err := store.Read(ctx, k)
				if err != nil {
					t.Fatal(err)
				}
				if back.NumRows() != rec.NumRows() {
					t.Errorf("after the move %s has %d rows, want %d", k, back.NumRows(), rec.NumRows())
				}
				back.Release()
			}
		})
	}
}
