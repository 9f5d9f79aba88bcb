package storage

import (
	"runtime"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// readAllocator is the allocator Parquet reads build their batches with:
// the store's, except for one buffer arrow-go never frees. Its
// DELTA_BINARY_PACKED decoder (parquet/internal/encoding, v18.8.0, the
// latest release) takes the bit widths of a block's mini-blocks into a
// buffer from the reader's allocator and has no Release: 64 bytes per
// column chunk read stay allocated. Under Go's allocator, which the CLI
// uses, the GC takes them back with the decoder; under the checked
// allocators of the tests (or a C allocator) they leak. readAllocator
// serves the allocations made from that decoder's frames with Go's
// allocator, whose memory the GC frees, and everything else with the
// store's, so a leak of ours still shows. Streamed files (stream.go)
// have DELTA_BINARY_PACKED columns. Drop this when arrow-go releases the
// buffer.
type readAllocator struct {
	memory.Allocator
}

// deltaDecoderFrame prefixes the functions of arrow-go's delta decoder.
const deltaDecoderFrame = "github.com/apache/arrow-go/v18/parquet/internal/encoding.(*deltaBitPackDecoder["

var gcAllocator = memory.NewGoAllocator()

func (a readAllocator) Allocate(size int) []byte {
	if fromDeltaDecoder() {
		return gcAllocator.Allocate(size)
	}
	return a.Allocator.Allocate(size)
}

func (a readAllocator) Reallocate(size int, b []byte) []byte {
	if fromDeltaDecoder() {
		return gcAllocator.Reallocate(size, b)
	}
	return a.Allocator.Reallocate(size, b)
}

func (a readAllocator) Free(b []byte) {
	if fromDeltaDecoder() {
		gcAllocator.Free(b)
		return
	}
	a.Allocator.Free(b)
}

// fromDeltaDecoder reports whether the allocator's caller was called by
// the delta decoder (through arrow's Buffer: Resize, Reserve), looking a
// few frames up. A read makes a few allocations per batch and column, so
// the stack walk costs microseconds per batch.
func fromDeltaDecoder() bool {
	var pcs [8]uintptr
	n := runtime.Callers(3, pcs[:]) // above Callers, this and the method
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, deltaDecoderFrame) {
			return true
		}
		if !more {
			return false
		}
	}
}
