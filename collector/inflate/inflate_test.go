package inflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	kflate "github.com/klauspost/compress/flate"
)

// newReaderSize is a reader with an output buffer of size bytes (not
// pooled), to make the buffer slide often in tests.
func newReaderSize(in []byte, size int) *Reader { return &Reader{in: in, out: make([]byte, size)} }

// smallBuf slides the output buffer after every 1000 bytes or so.
const smallBuf = windowSize + margin + 1000

// klineCSV is n rows shaped like data.binance.vision's spot klines.
func klineCSV(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	t := int64(1704067200000)
	p := 42000.0
	for range n {
		o := p
		p += (rng.Float64() - 0.5) * 40
		h, l := max(o, p)+rng.Float64()*10, min(o, p)-rng.Float64()*10
		v := rng.Float64() * 50
		fmt.Fprintf(&b, "%d,%.8f,%.8f,%.8f,%.8f,%.8f,%d,%.8f,%d,%.8f,%.8f,0\n",
			t, o, h, l, p, v, t+59999, v*p, rng.IntN(3000), v/2, v*p/2)
		t += 60000
	}
	return b.Bytes()
}

// samples are inputs with different block structures once compressed.
func samples() map[string][]byte {
	rng := rand.New(rand.NewPCG(7, 7))
	random := make([]byte, 200_000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	runs := bytes.Repeat([]byte("a"), 100_000)
	pattern := bytes.Repeat([]byte("abcdefg"), 30_000) // distance 7 < 8
	var mixed []byte
	for i := range 300 {
		mixed = append(mixed, random[i*100:i*100+50+i%40]...)
		mixed = append(mixed, bytes.Repeat([]byte(strconv.Itoa(i)), i%50)...)
	}
	return map[string][]byte{
		"empty":   nil,
		"byte":    []byte("x"),
		"text":    []byte("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n"),
		"random":  random,
		"runs":    runs,
		"pattern": pattern,
		"mixed":   mixed,
		"klines":  klineCSV(5_000, 1), // about 700 KB: more than the default buffer
	}
}

func compressStd(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func compressKlauspost(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := kflate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// readAll reads r in reads of varying sizes.
func readAll(r io.Reader, seed uint64) ([]byte, error) {
	rng := rand.New(rand.NewPCG(seed, 3))
	var out []byte
	buf := make([]byte, 70_000)
	for {
		p := buf[:1+rng.IntN(len(buf))]
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// decodeAll reads r with DecodeInto, in buffers of varying sizes, each
// scribbled over once the next call has returned.
func decodeAll(r *Reader, seed uint64) ([]byte, error) {
	rng := rand.New(rand.NewPCG(seed, 4))
	var out []byte
	bufs := [3][]byte{make([]byte, 3*MinDecodeInto), make([]byte, 3*MinDecodeInto), make([]byte, 3*MinDecodeInto)}
	for i := 0; ; i++ {
		buf := bufs[i%3][:MinDecodeInto+rng.IntN(2*MinDecodeInto)]
		n, err := r.DecodeInto(buf)
		out = append(out, buf[WindowSize:WindowSize+n]...)
		old := bufs[(i+1)%3] // the buffer before the previous one
		for j := range old {
			old[j] = 0xa5
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n == 0 {
			return out, errors.New("DecodeInto returned nothing and no error")
		}
	}
}

func stdInflate(in []byte) ([]byte, error) {
	return io.ReadAll(flate.NewReader(bytes.NewReader(in)))
}

func TestRoundTrip(t *testing.T) {
	for name, data := range samples() {
		for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, flate.BestCompression} {
			for _, c := range []struct {
				lib string
				z   []byte
			}{{"std", compressStd(t, data, level)}, {"klauspost", compressKlauspost(t, data, level)}} {
				for _, size := range []int{defaultBufSize, smallBuf} {
					t.Run(fmt.Sprintf("%s/%s/level%d/buf%d", name, c.lib, level, size), func(t *testing.T) {
						got, err := readAll(newReaderSize(c.z, size), uint64(level+10))
						if err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(got, data) {
							t.Fatalf("decoded %d bytes, want %d (first difference at %d)", len(got), len(data), firstDiff(got, data))
						}
						got, err = decodeAll(newReaderSize(c.z, size), uint64(level+10))
						if err != nil || !bytes.Equal(got, data) {
							t.Fatalf("DecodeInto: %v, decoded %d bytes, want %d (first difference at %d)", err, len(got), len(data), firstDiff(got, data))
						}
					})
				}
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestPooledReader: a reader closed twice must not release the buffer of
// a reader opened after it. It did when the Reader itself was pooled: the
// second Close put back the Reader that the next NewReader had been handed,
// so the NewReader after that returned it again and two live readers
// decoded into one buffer. sync.Pool gives no guarantees, so the sequence
// is repeated; on a single P it fails on the first round.
func TestPooledReader(t *testing.T) {
	data := [][]byte{klineCSV(600, 2), []byte("short"), klineCSV(600, 3)}
	var z [][]byte
	for _, d := range data {
		z = append(z, compressStd(t, d, 6))
	}
	for round := range 50 {
		a := NewReader(z[0])
		if got, err := io.ReadAll(a); err != nil || !bytes.Equal(got, data[0]) {
			t.Fatalf("round %d, first stream: %v, equal %v", round, err, bytes.Equal(got, data[0]))
		}
		a.Close()
		b := NewReader(z[1]) // may take a's buffer: a is closed
		if err := a.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		c := NewReader(z[2])
		if b == c || &b.out[0] == &c.out[0] {
			t.Fatalf("round %d: two open readers share one output buffer", round)
		}
		gotB, gotC, err := readInterleaved(b, c)
		if err != nil || !bytes.Equal(gotB, data[1]) || !bytes.Equal(gotC, data[2]) {
			t.Fatalf("round %d: %v; stream 2 equal %v, stream 3 equal %v", round, err, bytes.Equal(gotB, data[1]), bytes.Equal(gotC, data[2]))
		}
		b.Close()
		c.Close()
		if n, err := c.Read(make([]byte, 10)); n != 0 || !errors.Is(err, ErrClosed) {
			t.Fatalf("Read after Close: %d, %v; want ErrClosed", n, err)
		}
	}
}

// readInterleaved reads a and b in alternating small reads.
func readInterleaved(a, b io.Reader) ([]byte, []byte, error) {
	var outA, outB []byte
	var doneA, doneB bool
	p := make([]byte, 4096)
	for !doneA || !doneB {
		for _, s := range []struct {
			r    io.Reader
			out  *[]byte
			done *bool
		}{{a, &outA, &doneA}, {b, &outB, &doneB}} {
			if *s.done {
				continue
			}
			n, err := s.r.Read(p)
			*s.out = append(*s.out, p[:n]...)
			if err == io.EOF {
				*s.done = true
			} else if err != nil {
				return outA, outB, err
			}
		}
	}
	return outA, outB, nil
}

// TestTruncated: every cut of a stream either still decodes as compress/flate
// decodes it or fails; none hangs.
func TestTruncated(t *testing.T) {
	data := klineCSV(400, 4)
	for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.HuffmanOnly, 6} {
		z := compressStd(t, data, level)
		for cut := 0; cut < len(z); cut += 1 + cut/50 {
			checkSame(t, z[:cut])
		}
	}
}

// TestCorrupt flips bytes and compares with compress/flate.
func TestCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for name, data := range samples() {
		z := compressStd(t, data[:min(len(data), 20_000)], 6)
		if len(z) == 0 {
			continue
		}
		for range 60 {
			c := bytes.Clone(z)
			for range 1 + rng.IntN(3) {
				c[rng.IntN(len(c))] ^= byte(1 + rng.IntN(255))
			}
			t.Run(name, func(t *testing.T) { checkSame(t, c) })
		}
	}
}

// TestKnownErrors: streams compress/flate rejects, for each check here.
func TestKnownErrors(t *testing.T) {
	for name, in := range map[string][]byte{
		"block type 3":        {0x07},
		"stored length check": {0x01, 0x05, 0x00, 0x00, 0x00},
		"stored truncated":    {0x01, 0x05, 0x00, 0xfa, 0xff, 'a', 'b'},
		"empty input":         {},
		"no final block":      {0x00, 0x00, 0x00, 0xff, 0xff},
		// Fixed blocks: BFINAL, BTYPE 01, then codes (most significant bit first).
		"distance too far back":  bitStream([][2]uint{{1, 1}, {1, 2}}, [][2]uint{{0b0000001, 7}, {0, 5}}),
		"fixed code 286":         bitStream([][2]uint{{1, 1}, {1, 2}}, [][2]uint{{0b00110000, 8}, {0b11000110, 8}}),
		"fixed distance 30":      bitStream([][2]uint{{1, 1}, {1, 2}}, [][2]uint{{0b00110000, 8}, {0b0000001, 7}, {30, 5}}),
		"too many length codes":  {0xfd, 0xff, 0xff},
		"over-subscribed lenlen": {0x05, 0xe0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := stdInflate(in); err == nil {
				t.Fatal("compress/flate accepts this input: the case is wrong")
			}
			if _, err := readAll(newReaderSize(in, smallBuf), 1); err == nil {
				t.Fatal("decoded without an error")
			}
		})
	}
}

// bitStream packs DEFLATE fields: header fields least significant bit first,
// then Huffman codes most significant bit first, each as {value, bits}.
func bitStream(fields, codes [][2]uint) []byte {
	var out []byte
	var acc, n uint
	put := func(bit uint) {
		acc |= bit << n
		if n++; n == 8 {
			out, acc, n = append(out, byte(acc)), 0, 0
		}
	}
	for _, f := range fields {
		for i := range f[1] {
			put(f[0] >> i & 1)
		}
	}
	for _, c := range codes {
		for i := int(c[1]) - 1; i >= 0; i-- {
			put(c[0] >> uint(i) & 1)
		}
	}
	return append(out, byte(acc), 0, 0) // padding: a truncated stream is not the point
}

// checkSame: the reader agrees with compress/flate on in: both fail, or
// both succeed with the same bytes.
func checkSame(t *testing.T, in []byte) {
	t.Helper()
	want, wantErr := stdInflate(in)
	for _, size := range []int{defaultBufSize, smallBuf} {
		for _, into := range []bool{false, true} {
			read := readAll
			if into {
				read = func(r io.Reader, seed uint64) ([]byte, error) { return decodeAll(r.(*Reader), seed) }
			}
			got, err := read(newReaderSize(in, size), uint64(len(in)))
			switch {
			case (err == nil) != (wantErr == nil):
				t.Fatalf("%d bytes in, buffer %d, DecodeInto %v: err %v, compress/flate says %v", len(in), size, into, err, wantErr)
			case err == nil && !bytes.Equal(got, want):
				t.Fatalf("%d bytes in, buffer %d, DecodeInto %v: %d bytes out, compress/flate %d (first difference at %d)", len(in), size, into, len(got), len(want), firstDiff(got, want))
			}
		}
	}
}

// FuzzInflate decodes arbitrary input and compares with compress/flate.
func FuzzInflate(f *testing.F) {
	for _, data := range samples() {
		if len(data) > 5000 {
			data = data[:5000]
		}
		for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, 6} {
			f.Add(compressStd(f, data, level))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkSame(t, in) })
}

// FuzzRoundTrip compresses arbitrary data at every level and decodes it.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("abcabcabcabcabcabcabcabcx"), int8(6))
	f.Add(klineCSV(50, 9), int8(1))
	f.Fuzz(func(t *testing.T, data []byte, level int8) {
		lv := int(uint8(level))%11 - 1 // -1..9
		if lv == -1 && level%2 == 0 {
			lv = flate.HuffmanOnly
		}
		z := compressStd(t, data, lv)
		got, err := readAll(newReaderSize(z, smallBuf), uint64(len(data)))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("level %d: err %v, equal %v", lv, err, bytes.Equal(got, data))
		}
		got, err = decodeAll(newReaderSize(z, smallBuf), uint64(len(data)))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("level %d, DecodeInto: err %v, equal %v", lv, err, bytes.Equal(got, data))
		}
	})
}

func BenchmarkInflate(b *testing.B) {
	data := klineCSV(44_640, 1) // a month of 1m candles
	z := compressStd(b, data, 6)
	b.Run("lakehouse", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := NewReader(z)
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
	})
	b.Run("klauspost", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		r := kflate.NewReader(bytes.NewReader(z))
		for b.Loop() {
			r.(kflate.Resetter).Reset(bytes.NewReader(z), nil)
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		r := flate.NewReader(bytes.NewReader(z))
		for b.Loop() {
			r.(flate.Resetter).Reset(bytes.NewReader(z), nil)
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
