package storage

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// TestZstdStreamCodec: zstdStreamLevel writes plain zstd that decodes
// back, in less space than raw for float pages; every other level is
// arrow-go's codec unchanged.
func TestZstdStreamCodec(t *testing.T) {
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	// A 64 KiB page of prices on a 0.01 grid, and one a little longer
	// (DELTA_BINARY_PACKED pages overshoot the page size).
	rng := rand.New(rand.NewPCG(1, 2))
	page := func(n int) []byte {
		b := make([]byte, 0, n*8)
		p := 43000.0
		for range n {
			p += float64(rng.IntN(21)-10) / 100
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(math.Round(p*100)/100))
		}
		return b
	}
	for _, src := range [][]byte{page(8192), page(9000), []byte("x")} {
		enc := codec.EncodeLevel(nil, src, zstdStreamLevel)
		if len(src) > 1024 && len(enc) >= len(src) {
			t.Errorf("%d bytes compressed to %d", len(src), len(enc))
		}
		dec, err := compress.Decode(codec, make([]byte, len(src)), enc)
		if err != nil || !bytes.Equal(dec, src) {
			t.Fatalf("%d bytes: round trip failed: %v", len(src), err)
		}
		if got, want := codec.EncodeLevel(nil, src, 1), codec.(*zstdStreamCodec).Codec.EncodeLevel(nil, src, 1); !bytes.Equal(got, want) {
			t.Errorf("level 1 differs from arrow-go's codec")
		}
	}
}

// TestReadAllocatorForwards: allocations that do not come from arrow-go's
// delta decoder are the store allocator's (so the tests' checked
// allocators still see a leak of ours); TestStreamLocal reads
// DELTA_BINARY_PACKED columns with a checked allocator and finds none.
func TestReadAllocatorForwards(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	a := readAllocator{mem}
	b := a.Allocate(100)
	b = a.Reallocate(200, b)
	if mem.CurrentAlloc() != 200 {
		t.Fatalf("store allocator holds %d bytes, want 200", mem.CurrentAlloc())
	}
	a.Free(b)
	mem.AssertSize(t, 0)
}
