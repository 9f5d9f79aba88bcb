package storage

import (
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// Streamed files (trades: millions of rows a day) spend most of their
// write time in zstd, and a fifth to a quarter of that Huffman-coding
// literals that hardly shrink: the low bytes of prices and quantities are
// random. Their pages are compressed at zstdStreamLevel, a level arrow-go's
// codec does not know: zstdStreamCodec encodes those with
// klauspost/compress's fastest level and raw literals
// (WithNoEntropyCompression, what zstd's own negative levels do), matches
// and sequences coded as usual. The output is ordinary zstd that every
// reader decodes. Measured on 2M rows of a fake trades day, the writer
// alone: 0.34 s -> 0.25 s of CPU with DELTA_BINARY_PACKED ids and times
// (0.41 s with neither), files 2% bigger than with Huffman-coded literals
// (docs/benchmarks.md). Every other level goes to arrow-go's codec
// unchanged: klines keep level 1.
const zstdStreamLevel = -7

// zstdStreamCodec is arrow-go's zstd codec plus zstdStreamLevel.
type zstdStreamCodec struct {
	compress.Codec
	fast sync.Pool // *zstd.Encoder
}

func (c *zstdStreamCodec) EncodeLevel(dst, src []byte, level int) []byte {
	if level != zstdStreamLevel {
		return c.Codec.EncodeLevel(dst, src, level)
	}
	enc := c.fast.Get().(*zstd.Encoder)
	defer c.fast.Put(enc)
	return enc.EncodeAll(src, dst[:0])
}

func newZstdStreamEncoder() any {
	// A 1 MiB window keeps the block size at 128 KiB: a data page a little
	// over 64 KiB (DELTA_BINARY_PACKED pages overshoot dataPageSize) is
	// then one block with no history buffer, where the fastest level's
	// 64 KiB blocks made every pooled encoder keep a 4 MiB history. No
	// content checksum (xxhash64 of every page, 0.5% of a trades run):
	// Parquet pages carry their own optional CRC.
	enc, err := zstd.NewWriter(nil, zstd.WithWindowSize(1<<20), zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithNoEntropyCompression(true), zstd.WithEncoderCRC(false), zstd.WithZeroFrames(true), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err) // constant, valid options
	}
	return enc
}

// init registers the codec before any goroutine can look a codec up:
// compress.RegisterCodec writes a map nothing guards.
func init() {
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic(err)
	}
	c := &zstdStreamCodec{Codec: codec}
	c.fast.New = newZstdStreamEncoder
	compress.RegisterCodec(compress.Codecs.Zstd, c)
}
