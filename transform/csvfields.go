package transform

import (
	"encoding/binary"
	"math/bits"
)

// SplitFields cuts a CSV line of data.binance.vision (no quoting, no
// escapes) at its commas into f and returns the number of fields, or
// len(f)+1 when there are more than len(f); f must have room for one. The
// kline and trade parsers both use it; it does not allocate.
//
// It finds the commas of eight bytes at a time: a byte of x = word ^
// ",,,,,,,," is zero exactly where the word has a comma, and
// (x&0x7f..)+0x7f.. | x has the high bit of each nonzero byte set (no
// false positives, unlike the borrow-based zero test).
func SplitFields(line []byte, f [][]byte) int {
	n, start, i := 0, 0, 0
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:]) ^ 0x2c2c2c2c2c2c2c2c
		commas := ^((x & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f | x) & 0x8080808080808080
		for ; commas != 0; commas &= commas - 1 {
			if n == len(f)-1 {
				return len(f) + 1
			}
			j := i + bits.TrailingZeros64(commas)>>3
			f[n], start = line[start:j], j+1
			n++
		}
	}
	for ; i < len(line); i++ {
		if line[i] == ',' {
			if n == len(f)-1 {
				return len(f) + 1
			}
			f[n], start = line[start:i], i+1
			n++
		}
	}
	f[n] = line[start:]
	return n + 1
}
