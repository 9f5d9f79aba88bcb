package transform

import "strconv"

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
// digits. Trailing zeros of the fraction are dropped, and when the remaining
// digits form an integer m <= 2^53 scaled by 10^e with |e| <= 22, m and 10^e
// are both exact float64s, so one IEEE multiplication or division rounds the
// decimal value correctly (Clinger's fast path, which strconv takes for the
// same inputs). Everything else goes to strconv.
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
	// One pass. Zeros are held back (zi before the point, zf after it) until
	// a non-zero digit follows, so trailing fraction zeros never count.
	var mant uint64
	exp, zi, zf, digits := 0, 0, 0, 0
	frac := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '0':
			if frac {
				zf++
			} else {
				zi++
			}
			digits++
		case c > '0' && c <= '9':
			k := zi + zf + 1
			if k >= len(mantLimit) || mant > mantLimit[k] {
				return 0, false // more digits than the fast path is exact for
			}
			mant = mant*pow10u[k] + uint64(c-'0')
			if frac {
				exp -= zf + 1
			}
			zi, zf = 0, 0
			digits++
		case c == '.' && !frac:
			frac = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false // "", "-", ".": strconv's syntax error
	}
	exp += zi // zeros that end the integer part; fraction zeros drop out
	if mant > 1<<53 || exp < -22 || exp > 22 {
		if mant != 0 {
			return 0, false
		}
		exp = 0
	}
	f := float64(mant)
	if exp < 0 {
		f /= pow10[-exp]
	} else if exp > 0 {
		f *= pow10[exp]
	}
	if neg {
		f = -f
	}
	return f, true
}

// pow10u[k] is 10^k; mantLimit[k] the largest mantissa that may take k more
// digits and stay within 2^53 (up to the last digit's value, checked after).
var pow10u, mantLimit = func() (p, l [17]uint64) {
	p[0] = 1
	for k := 1; k < len(p); k++ {
		p[k] = p[k-1] * 10
	}
	for k := range l {
		l[k] = (1 << 53) / p[k]
	}
	return p, l
}()

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
