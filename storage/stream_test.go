package storage_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// streamRows is the size of the big round trip: 5M rows, about as many as
// a day of a busy spot symbol, 200 MB of Arrow columns.
func streamRows() int64 {
	if testing.Short() {
		return 500_000
	}
	return 5_000_000
}

// runStreamSuite checks WriteStream and ReadStream on a backend; limits
// bound the heap growth of the big round trip (192 MiB of columns) in MiB;
// noLeftovers checks that failed writes left nothing behind.
func runStreamSuite(t *testing.T, newBackend func(t *testing.T) storage.Backend, limits heapFigures, noLeftovers func(t *testing.T)) {
	ctx := context.Background()
	meta := map[string]string{"lakehouse.dataset": "trades"}

	t.Run("RoundTripFlatMemory", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		store := storage.NewStore(newBackend(t), mem, storage.WriteOptions{Producer: "lakehouse test"})
		rows := streamRows()
		dataMiB := float64(rows) * tradeRowBytes / (1 << 20)

		peak := startHeapPeak(mem)
		info, err := store.WriteStream(ctx, tradesKey, tradesSchema, meta, func(w storage.BatchWriter) error {
			return tradeBatches(mem, 0, rows, 64<<10, w.Write)
		}, storage.Precondition{IfNoneMatch: true})
		wrote := peak.stop()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d rows (%.0f MiB of columns) into %.1f MiB of Parquet; %s", rows, dataMiB, float64(info.Size)/(1<<20), wrote)

		peak = startHeapPeak(mem)
		rr, version, err := store.ReadStream(ctx, tradesKey, tradesSchema, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkTrades(t, rr, rows)
		rr.Release()
		read := peak.stop()
		t.Logf("read back in batches of %d rows: %s", storage.DefaultStreamBatch, read)
		if version == "" {
			t.Error("no version")
		}
		if testing.Short() {
			return
		}
		for _, c := range []struct {
			what        string
			got, budget float64
		}{
			{"heap writing", wrote.heap, limits.heap}, {"live heap writing", wrote.live, limits.live},
			{"heap reading", read.heap, limits.heap}, {"live heap reading", read.live, limits.live},
		} {
			if c.got > c.budget {
				t.Errorf("%s %.0f MiB of columns grew by %.1f MiB; want < %.0f MiB", c.what, dataMiB, c.got, c.budget)
			}
		}
	})

	t.Run("FillFailurePublishesNothing", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		store := storage.NewStore(newBackend(t), mem, storage.WriteOptions{})
		boom := errors.New("source failed mid-file")
		for _, c := range []struct {
			name   string
			cond   storage.Precondition
			cancel bool // the run is cancelled instead
			want   error
		}{
			{"new file", storage.Precondition{IfNoneMatch: true}, false, boom},
			{"unconditional", storage.Precondition{}, false, boom},
			{"cancelled", storage.Precondition{}, true, context.Canceled},
		} {
			wctx, cancel := context.WithCancel(ctx)
			// 1.5M rows: several row groups and (on S3) parts are out.
			_, err := store.WriteStream(wctx, tradesKey, tradesSchema, nil, func(w storage.BatchWriter) error {
				return tradeBatches(mem, 0, 1_500_000, 100_000, func(rec arrow.RecordBatch) error {
					if rec.Column(0).(*array.Int64).Value(0) >= 3_001_400_000 {
						if !c.cancel {
							return boom
						}
						cancel()
					}
					return w.Write(rec)
				})
			}, c.cond)
			cancel()
			if !errors.Is(err, c.want) {
				t.Fatalf("%s: got %v, want %v", c.name, err, c.want)
			}
			if _, _, err := store.ReadStream(ctx, tradesKey, nil, 0); !storage.IsNotExist(err) {
				t.Fatalf("%s: after a failed fill: %v", c.name, err)
			}
		}
		// A wrong batch fails the write too.
		_, err := store.WriteStream(ctx, tradesKey, tradesSchema, nil, func(w storage.BatchWriter) error {
			b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil))
			defer b.Release()
			rec := b.NewRecordBatch()
			defer rec.Release()
			return w.Write(rec)
		}, storage.Precondition{})
		if !errors.Is(err, storage.ErrSchema) {
			t.Fatalf("batch of another schema: %v", err)
		}
		if _, _, err := store.ReadStream(ctx, tradesKey, nil, 0); !storage.IsNotExist(err) {
			t.Fatalf("after a wrong batch: %v", err)
		}
		noLeftovers(t)
	})

	t.Run("Preconditions", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		store := storage.NewStore(newBackend(t), mem, storage.WriteOptions{})
		write := func(rows int64, cond storage.Precondition) error {
			_, err := store.WriteStream(ctx, tradesKey, tradesSchema, nil, func(w storage.BatchWriter) error {
				return tradeBatches(mem, 0, rows, 1000, w.Write)
			}, cond)
			return err
		}
		readRows := func() (int64, string) {
			rr, version, err := store.ReadStream(ctx, tradesKey, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer rr.Release()
			var n int64
			for rr.Next() {
				n += rr.RecordBatch().NumRows()
			}
			if err := rr.Err(); err != nil {
				t.Fatal(err)
			}
			return n, version
		}
		if err := write(0, storage.Precondition{IfNoneMatch: true}); err != nil {
			t.Fatalf("create an empty file: %v", err)
		}
		n, v0 := readRows()
		if n != 0 {
			t.Fatalf("empty file has %d rows", n)
		}
		if err := write(10, storage.Precondition{IfNoneMatch: true}); !errors.Is(err, storage.ErrPrecondition) {
			t.Fatalf("create over an existing file: %v", err)
		}
		if err := write(20, storage.Precondition{IfMatch: v0}); err != nil {
			t.Fatalf("replace the version read: %v", err)
		}
		if err := write(30, storage.Precondition{IfMatch: v0}); !errors.Is(err, storage.ErrPrecondition) {
			t.Fatalf("replace a stale version: %v", err)
		}
		if n, _ := readRows(); n != 20 {
			t.Fatalf("file has %d rows, want the 20 of the last successful write", n)
		}
		noLeftovers(t)
	})

	t.Run("ReadErrors", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		store := storage.NewStore(newBackend(t), mem, storage.WriteOptions{})
		if _, _, err := store.ReadStream(ctx, tradesKey, tradesSchema, 0); !storage.IsNotExist(err) {
			t.Fatalf("missing file: %v", err)
		}
		if _, err := store.WriteStream(ctx, tradesKey, tradesSchema, nil, func(w storage.BatchWriter) error {
			return tradeBatches(mem, 0, 5000, 1000, w.Write)
		}, storage.Precondition{}); err != nil {
			t.Fatal(err)
		}
		other := arrow.NewSchema(append([]arrow.Field{{Name: "agg_trade_id", Type: arrow.PrimitiveTypes.Int64}}, tradesSchema.Fields()[1:]...), nil)
		if _, _, err := store.ReadStream(ctx, tradesKey, other, 0); !errors.Is(err, storage.ErrSchema) {
			t.Fatalf("read as another schema: %v", err)
		}
		// Batches of the size asked for; the file's schema when none is given.
		rr, _, err := store.ReadStream(ctx, tradesKey, nil, 1500)
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Release()
		var sizes []int64
		for rr.Next() {
			sizes = append(sizes, rr.RecordBatch().NumRows())
		}
		if len(sizes) != 4 || sizes[0] != 1500 || sizes[3] != 500 || rr.Err() != nil {
			t.Fatalf("batch sizes %v, error %v", sizes, rr.Err())
		}
		if got := rr.Schema(); got.NumFields() != tradesSchema.NumFields() || got.Field(4).Type.String() != tradesSchema.Field(4).Type.String() {
			t.Fatalf("file schema %s", got)
		}
	})
}

func TestStreamLocal(t *testing.T) {
	var dirs []string
	newBackend := func(t *testing.T) storage.Backend {
		dir := t.TempDir()
		dirs = append(dirs, dir)
		b, err := storage.NewLocalBackend(dir)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	noTemps := func(t *testing.T) {
		t.Helper()
		dir := dirs[len(dirs)-1]
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.Contains(d.Name(), ".tmp-") {
				t.Errorf("temporary file left: %s", p)
			}
			return nil
		})
	}
	runStreamSuite(t, newBackend, heapFigures{heap: 64, live: 32}, noTemps)
}

// TestStreamLocalFile checks the file itself: row groups cut as they
// fill, the key-value metadata of every file plus the caller's.
func TestStreamLocalFile(t *testing.T) {
	dir := t.TempDir()
	b, err := storage.NewLocalBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := storage.NewStore(b, mem, storage.WriteOptions{Producer: "lakehouse test"})
	const rows = 2_500_000
	info, err := store.WriteStream(context.Background(), tradesKey, tradesSchema, map[string]string{"lakehouse.dataset": "trades"}, func(w storage.BatchWriter) error {
		// One big batch: still cut into row groups of bounded size.
		return tradeBatches(mem, 0, rows, rows, w.Write)
	}, storage.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	pf, err := file.OpenParquetFile(filepath.Join(dir, filepath.FromSlash(tradesKey.Path())), false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	md := pf.MetaData()
	if md.NumRows != rows || md.GetSourceFileSize() != info.Size {
		t.Fatalf("%d rows, %d bytes; want %d rows, %d bytes", md.NumRows, md.GetSourceFileSize(), rows, info.Size)
	}
	if md.NumRowGroups() < 2 {
		t.Fatalf("%d row group for %d rows", md.NumRowGroups(), rows)
	}
	for i := 0; i < md.NumRowGroups(); i++ {
		rg := md.RowGroup(i)
		if rg.TotalByteSize() > 40<<20 && rg.NumRows() > 1<<20 {
			t.Errorf("row group %d: %d rows, %d bytes", i, rg.NumRows(), rg.TotalByteSize())
		}
		t.Logf("row group %d: %d rows, %.1f MiB compressed", i, rg.NumRows(), float64(rg.TotalCompressedSize())/(1<<20))
	}
	kv := md.KeyValueMetadata()
	for k, want := range map[string]string{storage.MetaProducer: "lakehouse test", "lakehouse.dataset": "trades"} {
		if v := kv.FindValue(k); v == nil || *v != want {
			t.Errorf("metadata %s = %v, want %q", k, v, want)
		}
	}
	if v := kv.FindValue(storage.MetaSchemaVersion); v == nil || *v == "" {
		t.Error("no schema version")
	}
	// Statistics on the id column, for footer reads.
	st, err := md.RowGroup(0).ColumnChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	if set, _ := st.StatsSet(); !set {
		t.Error("no statistics")
	}
	// Ids and times DELTA_BINARY_PACKED, the rest PLAIN (stream.go), all
	// zstd.
	for c := 0; c < md.Schema.NumColumns(); c++ {
		cc, err := md.RowGroup(0).ColumnChunk(c)
		if err != nil {
			t.Fatal(err)
		}
		want := parquet.Encodings.Plain
		if name := md.Schema.Column(c).Name(); name == "id" || name == "time" {
			want = parquet.Encodings.DeltaBinaryPacked
		}
		if !slices.Contains(cc.Encodings(), want) || cc.Compression() != compress.Codecs.Zstd {
			t.Errorf("column %s: encodings %v, %s; want %s, zstd", md.Schema.Column(c).Name(), cc.Encodings(), cc.Compression(), want)
		}
	}
}
