package transform

import (
	"math"
	"strconv"
)

// Binance sends every price and volume as a plain decimal ("42000.01000000"),
// REST as JSON strings and the archive as CSV fields. ParseFloat and ParseInt
// read those with a fast path that needs no allocation and gives exactly the
// result of the strconv functions, which they fall back to for any other form.

// pow10 holds the powers of ten that a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// ParseFloat is strconv.ParseFloat(s, 64) for a string or a byte slice.
//
// Fast path: an optional sign, digits, and optionally a point and more
// digits. When the digits form an integer m <= 2^53 (after dropping
// trailing zeros of the fraction, if m is larger) scaled by 10^e with
// |e| <= 22, m and 10^e are both exact float64s, so one IEEE division
// rounds the decimal value correctly (Clinger's fast path, which strconv
// takes for the same inputs). Everything else goes to strconv.
func ParseFloat[S ~string | ~[]byte](s S) (float64, error) {
	if f, ok := parseDecimalFast(s); ok {
		return f, nil
	}
	return strconv.ParseFloat(string(s), 64)
}

func parseDecimalFast[S ~string | ~[]byte](s S) (float64, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, i = s[0] == '-', 1
	}
	// Up to 19 digits (they fit a uint64). Fractions, which Binance writes
	// with 8 places, are read eight digits at a time where they can be.
	var mant uint64
	digits, exp := 0, 0
	frac := false
	for i < len(s) {
		if frac && i+8 <= len(s) && digits+8 <= maxDigits {
			if v := load8(s, i); eightDigits(v) {
				mant = mant*100_000_000 + parse8(v)
				digits += 8
				exp -= 8
				i += 8
				continue
			}
		}
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == maxDigits {
				return 0, false // more digits than the fast path takes
			}
			mant = mant*10 + uint64(c-'0')
			digits++
			if frac {
				exp--
			}
		case c == '.' && !frac:
			frac = true
		default:
			return 0, false
		}
		i++
	}
	if digits == 0 {
		return 0, false // "", "-", ".": strconv's syntax error
	}
	if mant == 0 {
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	// Trailing zeros of the fraction only matter when they push the
	// mantissa past 2^53: m*10^e is exact either way.
	for mant > 1<<53 && exp < 0 && mant%10 == 0 {
		mant /= 10
		exp++
	}
	if mant > 1<<53 || exp < -22 {
		return 0, false
	}
	f := float64(mant)
	if exp < 0 {
		f /= pow10[-exp]
	}
	if neg {
		f = -f
	}
	return f, true
}

// maxDigits is how many decimal digits always fit a uint64.
const maxDigits = 19

// load8 reads s[i:i+8] as a little-endian word.
func load8[S ~string | ~[]byte](s S, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// eightDigits reports whether all eight bytes of v are ASCII digits.
func eightDigits(v uint64) bool {
	return v&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030 &&
		(v+0x0606060606060606)&0xF0F0F0F0F0F0F0F0 == 0x3030303030303030
}

// parse8 is the value of eight ASCII digits, the first in the low byte
// (Lemire's SWAR conversion).
func parse8(v uint64) uint64 {
	v -= 0x3030303030303030
	v = v*10 + v>>8
	return ((v&0x000000FF000000FF)*(100+(1000000<<32)) + (v>>16&0x000000FF000000FF)*(1+(10000<<32))) >> 32
}

// ParseInt is strconv.ParseInt(s, 10, 64) for a string or a byte slice, with
// a fast path for up to 18 plain decimal digits.
func ParseInt[S ~string | ~[]byte](s S) (int64, error) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, i = s[0] == '-', 1
	}
	if n := len(s) - i; n > 0 && n <= 18 {
		var v int64
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return strconv.ParseInt(string(s), 10, 64)
			}
			v = v*10 + int64(c-'0')
		}
		if neg {
			v = -v
		}
		return v, nil
	}
	return strconv.ParseInt(string(s), 10, 64)
}
