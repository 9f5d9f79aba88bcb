package storage_test

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// Synthetic trades and a heap sampler for the streaming tests.
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
