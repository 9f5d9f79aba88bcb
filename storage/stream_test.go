package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// tradesSchema has the columns of spot trades (SPEC section 8); the
// streaming code takes any schema, this one is only the realistic shape.
var tradesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "price", Type: arrow.PrimitiveTypes.Float64},
	{Name: "qty", Type: arrow.PrimitiveTypes.Float64},
	{Name: "quote_qty", Type: arrow.PrimitiveTypes.Float64},
	{Name: "time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "is_buyer_maker", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "is_best_match", Type: arrow.FixedWidthTypes.Boolean},
}, nil)

// tradeRowBytes is what a row takes in Arrow memory (bools are bits).
const tradeRowBytes = 5*8 + 2.0/8

// tradesKey is a day of trades; the streaming code only needs its path.
var tradesKey = storage.Key{Dataset: "trades", Market: "spot", Symbol: "BTCUSDT", Period: "2024-03-05"}

// synthTrade is row i of a synthetic day: ids in order, times increasing,
// prices and quantities pseudo-random (worse to compress than real trades,
// so row groups are as big as they get).
type synthTrade struct {
	id                int64
	price, qty, quote float64
	time              int64
	maker, best       bool
}

func tradeRow(i int64) synthTrade {
	h := splitmix(uint64(i))
	price := 40000 + float64(h%2_000_000)/100
	qty := float64((h>>21)%10_000_000) / 100_000
	return synthTrade{
		id: 3_000_000_000 + i, price: price, qty: qty, quote: price * qty,
		time:  time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC).UnixMicro() + i*16 + int64(h>>60),
		maker: h>>63 == 1, best: i%97 != 0,
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// tradeBatches builds rows [from, to) in batches of batch rows and hands
// each to emit, releasing it after.
func tradeBatches(mem memory.Allocator, from, to, batch int64, emit func(arrow.RecordBatch) error) error {
	b := array.NewRecordBuilder(mem, tradesSchema)
	defer b.Release()
	id := b.Field(0).(*array.Int64Builder)
	price := b.Field(1).(*array.Float64Builder)
	qty := b.Field(2).(*array.Float64Builder)
	quote := b.Field(3).(*array.Float64Builder)
	ts := b.Field(4).(*array.TimestampBuilder)
	maker := b.Field(5).(*array.BooleanBuilder)
	best := b.Field(6).(*array.BooleanBuilder)
	for start := from; start < to; start += batch {
		end := min(start+batch, to)
		b.Reserve(int(end - start))
		for i := start; i < end; i++ {
			r := tradeRow(i)
			id.UnsafeAppend(r.id)
			price.UnsafeAppend(r.price)
			qty.UnsafeAppend(r.qty)
			quote.UnsafeAppend(r.quote)
			ts.UnsafeAppend(arrow.Timestamp(r.time))
			maker.UnsafeAppend(r.maker)
			best.UnsafeAppend(r.best)
		}
		rec := b.NewRecordBatch()
		err := emit(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// checkTrades reads the whole stream and compares it row by row with
// tradeRow, holding one batch at a time.
func checkTrades(t *testing.T, rr array.RecordReader, rows int64) {
	t.Helper()
	var i int64
	for rr.Next() {
		rec := rr.RecordBatch()
		if !rec.Schema().Equal(tradesSchema) {
			t.Fatalf("batch schema %s", rec.Schema())
		}
		id := rec.Column(0).(*array.Int64)
		price := rec.Column(1).(*array.Float64)
		qty := rec.Column(2).(*array.Float64)
		quote := rec.Column(3).(*array.Float64)
		ts := rec.Column(4).(*array.Timestamp)
		maker := rec.Column(5).(*array.Boolean)
		best := rec.Column(6).(*array.Boolean)
		for j := 0; j < int(rec.NumRows()); j++ {
			want := tradeRow(i)
			got := synthTrade{id.Value(j), price.Value(j), qty.Value(j), quote.Value(j), int64(ts.Value(j)), maker.Value(j), best.Value(j)}
			if got != want {
				t.Fatalf("row %d: got %+v, want %+v", i, got, want)
			}
			i++
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatalf("after %d rows: %v", i, err)
	}
	if i != rows {
		t.Fatalf("read %d rows, wrote %d", i, rows)
	}
}

// heapPeak samples the Go heap until stop: the bytes of heap objects
// (live and garbage not yet swept, what the process holds) and the live
// bytes the last GC marked (what the code keeps), and the Arrow bytes
// allocated from mem.
type heapPeak struct {
	base, peak         uint64
	liveBase, livePeak uint64
	mem                *memory.CheckedAllocator
	memPeak            int
	done               chan struct{}
	wg                 sync.WaitGroup
}

func readHeap() (objects, live uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

func startHeapPeak(mem *memory.CheckedAllocator) *heapPeak {
	runtime.GC()
	h := &heapPeak{mem: mem, done: make(chan struct{})}
	h.base, h.liveBase = readHeap()
	h.peak, h.livePeak = h.base, h.liveBase
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			objects, live := readHeap()
			h.peak, h.livePeak = max(h.peak, objects), max(h.livePeak, live)
			h.memPeak = max(h.memPeak, h.mem.CurrentAlloc())
			select {
			case <-h.done:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// heapFigures are a heapPeak's peaks above its start, in MiB.
type heapFigures struct{ heap, live, arrow float64 }

func (f heapFigures) String() string {
	return fmt.Sprintf("heap +%.1f MiB (live +%.1f MiB, Arrow buffers %.1f MiB)", f.heap, f.live, f.arrow)
}

func (h *heapPeak) stop() heapFigures {
	close(h.done)
	h.wg.Wait()
	const mib = 1 << 20
	return heapFigures{float64(h.peak-h.base) / mib, float64(h.livePeak-h.liveBase) / mib, float64(h.memPeak) / mib}
}

// streamRows is the size of the big round trip: 5M rows, about as many as
// a day of a busy spot symbol, 200 MB of Arrow columns.
func streamRows(t *testing.T) int64 {
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
		rows := streamRows(t)
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
			name string
			cond storage.Precondition
		}{{"new file", storage.Precondition{IfNoneMatch: true}}, {"unconditional", storage.Precondition{}}} {
			// 1.5M rows: several row groups and (on S3) parts are out.
			_, err := store.WriteStream(ctx, tradesKey, tradesSchema, nil, func(w storage.BatchWriter) error {
				return tradeBatches(mem, 0, 1_500_000, 100_000, func(rec arrow.RecordBatch) error {
					if rec.Column(0).(*array.Int64).Value(0) >= 3_001_400_000 {
						return boom
					}
					return w.Write(rec)
				})
			}, c.cond)
			if !errors.Is(err, boom) {
				t.Fatalf("%s: got %v, want the fill's error", c.name, err)
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
}
