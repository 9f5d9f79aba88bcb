// Package inflate decodes DEFLATE streams (RFC 1951) that are held wholly
// in memory, as the entries of a downloaded archive zip are.
//
// It exists for speed: the archive path spends more CPU inflating zips than
// on anything else, and a decoder that owns its whole input can refill its
// bit buffer eight bytes at a time, resolve most codes with one table
// lookup and copy matches a word at a time (the design of libdeflate),
// where a streaming decoder reads byte by byte and copies through a
// separate window. It decodes the same format as compress/flate and is
// fuzzed against it (inflate_test.go). The zip entry's CRC-32 and the
// file's SHA-256 are still checked by the caller.
package inflate

import (
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"sync"
)

// Error is a corrupt stream.
type Error string

func (e Error) Error() string { return "inflate: corrupt input: " + string(e) }

const (
	windowSize = 1 << 15 // DEFLATE's largest match distance
	maxMatch   = 258
	// margin keeps a whole match, plus the up to 15 bytes word copies
	// write past it, inside the output buffer.
	margin = maxMatch + 16
	// defaultBufSize is the output buffer: the 32 KiB window plus what one
	// fill decodes before the reader hands it out.
	defaultBufSize = 512 << 10

	litBits  = 10 // primary table index bits, literal/length code
	distBits = 8  // primary table index bits, distance code
	clBits   = 7  // code length code: its codes are at most 7 bits

	// Table sizes: the primary table plus at most one subtable per code
	// longer than the primary bits, each of at most 2^(15-bits) entries.
	litTableSize  = 1<<litBits + 286<<(15-litBits)
	distTableSize = 1<<distBits + 30<<(15-distBits)
)

// A table entry is value<<16 | flags | extra<<8 | n, where n is the code
// length to consume and extra the number of extra bits after it. For a
// subtable pointer, value is the subtable's start, extra its index bits and
// n the primary bits. A length code has no flag.
const (
	kValue  = 1 << 12 // a literal byte, a distance base or a code length
	kSub    = 1 << 13 // look up the next bits in a subtable
	kEOB    = 1 << 14 // end of block
	kBad    = 1 << 15 // no such code
	kLength = 0
	// kPair marks a primary literal/length entry whose bits hold two
	// literals: value is the first, bits 24-31 the second, n the two code
	// lengths together (pairLiterals).
	kPair = 1 << 7
)

func entry(value, extra, flags uint32) uint32 { return value<<16 | flags | extra<<8 }

var (
	lengthBase  = [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint32{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	// clOrder is the order code length code lengths are sent in.
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	litPayload  [288]uint32
	distPayload [32]uint32
	clPayload   [19]uint32

	fixedLit  [litTableSize]uint32
	fixedDist [distTableSize]uint32
)

func init() {
	for s := range litPayload {
		switch {
		case s < 256:
			litPayload[s] = entry(uint32(s), 0, kValue)
		case s == 256:
			litPayload[s] = entry(0, 0, kEOB)
		case s < 286:
			litPayload[s] = entry(lengthBase[s-257], lengthExtra[s-257], kLength)
		default: // 286 and 287 have fixed codes but never occur
			litPayload[s] = entry(0, 0, kBad)
		}
	}
	for s := range distPayload {
		if s < 30 {
			distPayload[s] = entry(distBase[s], distExtra[s], kValue)
		} else {
			distPayload[s] = entry(0, 0, kBad)
		}
	}
	for s := range clPayload {
		clPayload[s] = entry(uint32(s), 0, kValue)
	}
	var lens [288]uint8
	for s := range lens {
		switch {
		case s < 144:
			lens[s] = 8
		case s < 256:
			lens[s] = 9
		case s < 280:
			lens[s] = 7
		default:
			lens[s] = 8
		}
	}
	if !build(fixedLit[:], lens[:], litPayload[:], litBits) {
		panic("inflate: fixed literal/length code")
	}
	pairLiterals(fixedLit[:], litBits)
	for s := range 32 {
		lens[s] = 5
	}
	if !build(fixedDist[:], lens[:32], distPayload[:], distBits) {
		panic("inflate: fixed distance code")
	}
}

// pairLiterals turns each primary entry of the literal/length table t
// (primary index bits tb) that is a literal followed, within the same tb
// bits, by a second whole literal code into one entry of both (kPair), so
// the decoder emits the two with one lookup. Entries are visited from the
// top: the second code's entry, at a lower index, is still a plain one.
func pairLiterals(t []uint32, tb int) {
	for i := 1<<tb - 1; i >= 0; i-- {
		e1 := t[i]
		n1 := e1 & 15
		if e1&(kValue|kSub) != kValue || int(n1) >= tb {
			continue
		}
		e2 := t[i>>n1]
		n2 := e2 & 15
		if e2&(kValue|kSub) != kValue || int(n1+n2) > tb {
			continue
		}
		t[i] = e1&^15 | (e2>>16&0xff)<<24 | kPair | (n1 + n2)
	}
}

// build fills t with the decoding table of the canonical Huffman code with
// code lengths lens: a primary table indexed by tb bits and, for longer
// codes, subtables after it. It rejects over-subscribed codes and
// incomplete ones, except (as zlib and compress/flate do) a code of a
// single 1-bit codeword or of none; their unused entries decode as errors.
func build(t []uint32, lens []uint8, payload []uint32, tb int) bool {
	var count [16]int
	maxLen, codes := 0, 0
	for _, l := range lens {
		if l > 0 {
			count[l]++
			codes++
			maxLen = max(maxLen, int(l))
		}
	}
	left := 1
	for l := 1; l <= 15; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return false // over-subscribed
		}
	}
	if left > 0 && codes > 1 || codes == 1 && maxLen != 1 {
		return false // incomplete
	}
	size := 1 << tb
	bad := entry(0, 0, kBad)
	for i := range t[:size] {
		t[i] = bad
	}
	var next [16]int
	code := 0
	for l := 1; l <= 15; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	subBits := max(maxLen-tb, 0)
	used := size
	for s, l8 := range lens {
		l := int(l8)
		if l == 0 {
			continue
		}
		rev := int(bits.Reverse16(uint16(next[l])) >> (16 - l))
		next[l]++
		if l <= tb {
			e := payload[s] | uint32(l)
			for i := rev; i < size; i += 1 << l {
				t[i] = e
			}
			continue
		}
		p := rev & (size - 1)
		if t[p]&kSub == 0 {
			start := used
			used += 1 << subBits
			for i := range t[start:used] {
				t[start+i] = bad
			}
			t[p] = entry(uint32(start), uint32(subBits), kSub) | uint32(tb)
		}
		start := int(t[p] >> 16)
		e := payload[s] | uint32(l-tb)
		for i := rev >> tb; i < 1<<subBits; i += 1 << (l - tb) {
			t[start+i] = e
		}
	}
	return true
}

// Decoder states between fills.
const (
	stHeader = iota // at a block header
	stStored        // inside a stored block
	stHuff          // inside a Huffman block
	stDone          // after the final block
)

// Reader decodes one stream. It is not safe for concurrent use.
type Reader struct {
	in      []byte
	pos     int    // next byte of in to load into bitbuf
	bitbuf  uint64 // nbits valid bits, then possibly the bits of in[pos:]
	nbits   uint
	pad     int // zero bytes loaded past the end of in
	out     []byte
	r, w    int // out[r:w] is decoded and not yet read
	state   int
	final   bool
	stored  int // bytes left in the stored block
	lit     *[litTableSize]uint32
	dist    *[distTableSize]uint32
	err     error
	buf     *[defaultBufSize]byte // out's pooled array, until Close
	ownLit  [litTableSize]uint32
	ownDist [distTableSize]uint32
	clTable [1 << clBits]uint32
	lens    [286 + 30]uint8
}

// bufPool holds output buffers: allocating and faulting in 512 KiB per
// zip entry would cost more than small files take to decode. Only the
// buffer is pooled, never the Reader: a Reader closed twice, or used after
// Close, then reaches no buffer that another Reader owns.
var bufPool = sync.Pool{New: func() any { return new([defaultBufSize]byte) }}

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("inflate: read after Close")

// NewReader decodes the stream in in. Close returns the reader's output
// buffer for reuse; in must not change while the reader is in use.
func NewReader(in []byte) *Reader {
	buf := bufPool.Get().(*[defaultBufSize]byte)
	return &Reader{in: in, out: buf[:], buf: buf}
}

// Close releases the reader's buffers; later Reads fail with ErrClosed.
// Closing again does nothing.
func (d *Reader) Close() error {
	if d.buf != nil {
		bufPool.Put(d.buf)
	}
	d.buf, d.out, d.in = nil, nil, nil
	d.r, d.w, d.err = 0, 0, ErrClosed
	return nil
}

// InputOffset is how many bytes of the input the reader has loaded: it
// reads no byte before it again, so a caller decoding a memory-mapped file
// can let the pages before it go.
func (d *Reader) InputOffset() int { return d.pos }

// Read implements io.Reader.
func (d *Reader) Read(p []byte) (int, error) {
	for d.r == d.w {
		if d.err != nil {
			return 0, d.err
		}
		d.fill()
	}
	n := copy(p, d.out[d.r:d.w])
	d.r += n
	return n, nil
}

// WindowSize is how far back DEFLATE refers: DecodeInto keeps that much of
// the output before what it decodes.
const WindowSize = windowSize

// MinDecodeInto is the shortest buffer DecodeInto takes.
const MinDecodeInto = windowSize + margin + 4096

// DecodeInto decodes the next n bytes of the stream into
// buf[WindowSize:WindowSize+n] (n is 0 only with an error: io.EOF at the
// end). Past the stream's first window it decodes straight into buf, after
// copying the last WindowSize bytes decoded into buf[:WindowSize], where
// the stream's matches refer back: a caller that hands it a buffer per
// call and reads the output where it was decoded saves the copy Read
// makes of every byte. The buffer of the previous call must be left as it
// is until this call returns; older ones are the caller's again. buf must
// be at least MinDecodeInto bytes; DecodeInto and Read must not both be
// used on one Reader.
func (d *Reader) DecodeInto(buf []byte) (int, error) {
	if len(buf) < MinDecodeInto {
		return 0, errors.New("inflate: DecodeInto buffer too short")
	}
	if d.r < d.w || d.w < windowSize {
		// Less than a window decoded (the stream's start), or some of it
		// not handed out yet: Read's way, through the reader's buffer.
		return d.Read(buf[windowSize:])
	}
	if d.err != nil {
		return 0, d.err
	}
	copy(buf[:windowSize], d.out[d.w-windowSize:d.w])
	d.out, d.w, d.r = buf, windowSize, windowSize
	d.decode()
	n := d.w - windowSize
	d.r = d.w
	if n > 0 {
		return n, nil
	}
	return 0, d.err
}

// fill decodes until the output buffer is full or the stream ends or fails.
// Called only when everything decoded so far has been read.
func (d *Reader) fill() {
	if d.w >= len(d.out)-margin {
		// Keep the last window for matches; the rest has been read.
		copy(d.out, d.out[d.w-windowSize:d.w])
		d.w = windowSize
		d.r = windowSize
	}
	d.decode()
}

// decode runs the blocks until the output buffer is full (to its margin)
// or the stream ends or fails.
func (d *Reader) decode() {
	for d.w < len(d.out)-margin && d.err == nil {
		switch d.state {
		case stHeader:
			d.err = d.header()
		case stStored:
			d.err = d.copyStored()
		case stHuff:
			d.err = d.huffman()
		case stDone:
			d.err = io.EOF
			if d.consumedPadding() {
				d.err = io.ErrUnexpectedEOF
			}
		}
	}
}

// consumedPadding reports whether bits past the end of the input were used:
// the zero bytes loaded past the end sit at the top of the bit buffer.
func (d *Reader) consumedPadding() bool { return uint(d.pad)*8 > d.nbits }

// refill tops the bit buffer up to at least 56 bits, padding with zero
// bytes past the end of the input.
func (d *Reader) refill() error {
	if d.pos+8 <= len(d.in) {
		d.bitbuf |= binary.LittleEndian.Uint64(d.in[d.pos:]) << d.nbits
		k := (63 - d.nbits) >> 3
		d.pos += int(k)
		d.nbits += k << 3
		return nil
	}
	if d.consumedPadding() {
		return io.ErrUnexpectedEOF
	}
	for d.nbits <= 56 {
		if d.pos < len(d.in) {
			d.bitbuf |= uint64(d.in[d.pos]) << d.nbits
			d.pos++
		} else {
			d.pad++
		}
		d.nbits += 8
	}
	return nil
}

// take consumes n bits (n <= nbits) and returns them.
func (d *Reader) take(n uint) uint32 {
	v := uint32(d.bitbuf & (1<<n - 1))
	d.bitbuf >>= n
	d.nbits -= n
	return v
}

func (d *Reader) header() error {
	if err := d.refill(); err != nil {
		return err
	}
	d.final = d.take(1) == 1
	switch d.take(2) {
	case 0:
		d.take(d.nbits & 7) // stored blocks start on a byte boundary
		if err := d.refill(); err != nil {
			return err
		}
		n, nn := d.take(16), d.take(16)
		if n != ^nn&0xffff {
			return Error("stored block length check")
		}
		if d.consumedPadding() {
			return io.ErrUnexpectedEOF
		}
		d.stored, d.state = int(n), stStored
	case 1:
		d.lit, d.dist, d.state = &fixedLit, &fixedDist, stHuff
	case 2:
		if err := d.dynamic(); err != nil {
			return err
		}
		d.lit, d.dist, d.state = &d.ownLit, &d.ownDist, stHuff
	default:
		return Error("block type 3")
	}
	return nil
}

// endBlock moves past a finished block.
func (d *Reader) endBlock() {
	d.state = stHeader
	if d.final {
		d.state = stDone
	}
}

// copyStored copies a stored block: first the whole bytes left in the bit
// buffer, then straight from the input.
func (d *Reader) copyStored() error {
	// Bytes loaded past the end of the input are not data.
	if d.pad > 0 {
		d.nbits -= uint(d.pad) * 8
		d.pad = 0
	}
	room := len(d.out) - margin - d.w
	for d.stored > 0 && room > 0 && d.nbits >= 8 {
		d.out[d.w] = byte(d.take(8))
		d.w++
		d.stored--
		room--
	}
	if d.stored > 0 && room > 0 {
		// The bit buffer is empty; its high bits may hold in[pos:], which
		// is about to be consumed directly.
		d.bitbuf = 0
		n := min(d.stored, room, len(d.in)-d.pos)
		if n == 0 {
			return io.ErrUnexpectedEOF
		}
		copy(d.out[d.w:], d.in[d.pos:d.pos+n])
		d.pos += n
		d.w += n
		d.stored -= n
	}
	if d.stored == 0 {
		d.bitbuf &= 1<<d.nbits - 1
		d.endBlock()
	}
	return nil
}

// dynamic reads the code lengths of a dynamic block and builds its tables.
func (d *Reader) dynamic() error {
	if err := d.refill(); err != nil {
		return err
	}
	nlit, ndist, nclen := int(d.take(5))+257, int(d.take(5))+1, int(d.take(4))+4
	if nlit > 286 || ndist > 30 {
		return Error("too many length or distance codes")
	}
	var cl [19]uint8
	for i := range nclen {
		if d.nbits < 3 {
			if err := d.refill(); err != nil {
				return err
			}
		}
		cl[clOrder[i]] = uint8(d.take(3))
	}
	if !build(d.clTable[:], cl[:], clPayload[:], clBits) {
		return Error("code length code")
	}
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if d.nbits < 7+7 {
			if err := d.refill(); err != nil {
				return err
			}
		}
		e := d.clTable[d.bitbuf&(1<<clBits-1)]
		if e&kBad != 0 {
			return Error("code length symbol")
		}
		d.take(uint(e & 15))
		sym := uint8(e >> 16)
		if sym < 16 {
			lens[i] = sym
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return Error("repeat with no previous length")
			}
			rep, v = 3+int(d.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(d.take(3))
		default:
			rep = 11 + int(d.take(7))
		}
		if i+rep > len(lens) {
			return Error("code lengths overflow")
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if !build(d.ownLit[:], lens[:nlit], litPayload[:], litBits) {
		return Error("literal/length code")
	}
	pairLiterals(d.ownLit[:], litBits)
	if !build(d.ownDist[:], lens[nlit:], distPayload[:], distBits) {
		return Error("distance code")
	}
	return nil
}

// huffman decodes a Huffman block until it ends or the output buffer is
// full. It is the hot loop; its state lives in locals.
func (d *Reader) huffman() error {
	in, pos, bitbuf, nbits := d.in, d.pos, d.bitbuf, d.nbits
	out, w := d.out, d.w
	lit, dist := d.lit, d.dist
	limit := len(out) - margin
	var err error
	// e is the next entry, looked up as soon as the bits before it are
	// consumed, so the table load overlaps the refill; it is looked up again
	// when fewer than litBits bits were there for it.
	e := lit[bitbuf&(1<<litBits-1)]
	for w < limit {
		// A literal/length code, its extra bits, a distance code and its
		// extra bits take at most 15+5+15+13 = 48 bits.
		if nbits < 48 {
			partial := nbits < litBits
			if pos+8 <= len(in) {
				bitbuf |= binary.LittleEndian.Uint64(in[pos:]) << nbits
				k := (63 - nbits) >> 3
				pos += int(k)
				nbits += k << 3
			} else {
				d.pos, d.bitbuf, d.nbits = pos, bitbuf, nbits
				if err = d.refill(); err != nil {
					break
				}
				pos, bitbuf, nbits = d.pos, d.bitbuf, d.nbits
			}
			if partial {
				e = lit[bitbuf&(1<<litBits-1)]
			}
		}
		if e&kSub != 0 {
			bitbuf >>= litBits
			nbits -= litBits
			e = lit[e>>16+uint32(bitbuf&(1<<(e>>8&15)-1))]
		}
		bitbuf >>= e & 15
		nbits -= uint(e & 15)
		if e&kValue != 0 {
			// One literal, or two (kPair): the second byte is written
			// either way and kept only for a pair.
			out[w] = byte(e >> 16)
			out[w+1] = byte(e >> 24)
			w += 1 + int(e>>7&1)
			// At least 33 bits are left: enough for one more literal
			// entry without a refill (it may land three bytes past limit,
			// inside the margin).
			e = lit[bitbuf&(1<<litBits-1)]
			if e&kValue != 0 {
				bitbuf >>= e & 15
				nbits -= uint(e & 15)
				out[w] = byte(e >> 16)
				out[w+1] = byte(e >> 24)
				w += 1 + int(e>>7&1)
				e = lit[bitbuf&(1<<litBits-1)]
			}
			continue
		}
		if e&(kEOB|kBad) != 0 {
			if e&kEOB != 0 {
				d.endBlock()
			} else {
				err = Error("invalid literal/length code")
			}
			break
		}
		extra := e >> 8 & 15
		length := int(e>>16) + int(bitbuf&(1<<extra-1))
		bitbuf >>= extra
		nbits -= uint(extra)

		e = dist[bitbuf&(1<<distBits-1)]
		if e&kSub != 0 {
			bitbuf >>= distBits
			nbits -= distBits
			e = dist[e>>16+uint32(bitbuf&(1<<(e>>8&15)-1))]
		}
		if e&kValue == 0 {
			err = Error("invalid distance code")
			break
		}
		bitbuf >>= e & 15
		nbits -= uint(e & 15)
		extra = e >> 8 & 15
		back := int(e>>16) + int(bitbuf&(1<<extra-1))
		bitbuf >>= extra
		nbits -= uint(extra)
		if back > w {
			err = Error("distance too far back")
			break
		}
		src := w - back
		switch {
		case back >= 8:
			// Word copies: each reads bytes already written. They may
			// write up to 15 bytes past the match, inside the margin.
			binary.LittleEndian.PutUint64(out[w:], binary.LittleEndian.Uint64(out[src:]))
			binary.LittleEndian.PutUint64(out[w+8:], binary.LittleEndian.Uint64(out[src+8:]))
			for i := 16; i < length; i += 8 {
				binary.LittleEndian.PutUint64(out[w+i:], binary.LittleEndian.Uint64(out[src+i:]))
			}
		case back >= length:
			copy(out[w:w+length], out[src:])
		default:
			// A short repeating pattern: each copy doubles what is there.
			for end, at := w+length, w; at < end; {
				at += copy(out[at:end], out[src:at])
			}
		}
		w += length
		e = lit[bitbuf&(1<<litBits-1)]
	}
	d.pos, d.bitbuf, d.nbits, d.w = pos, bitbuf, nbits, w
	return err
}
