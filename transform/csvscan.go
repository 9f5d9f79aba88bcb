package transform

// A row of a trades CSV is numbers and booleans between commas, and the
// archive path reads millions of them a second. The scanners here read a
// field from position i up to its comma (or the end of the line) in one
// pass, with no split of the line first, and give up (ok false) on
// anything but the plain form Binance writes; the caller then parses the
// row with SplitFields and ParseFloat/ParseInt, which take every form and
// say what is wrong. Where a scanner succeeds its value is exactly the
// one those give (FuzzScanTradeRow checks it).

// scanUint reads 1 to 18 digits ending at a comma or the end of s.
func scanUint(s []byte, i int) (v int64, next int, ok bool) {
	start := i
	// Ids and times have 11 to 16 digits: eight at a time first.
	if i+8 <= len(s) {
		if w := load8(s, i); eightDigits(w) {
			v, i = int64(parse8(w)), i+8
		}
	}
	for ; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			break
		}
		v = v*10 + int64(c)
	}
	if n := i - start; n == 0 || n > 18 {
		return 0, 0, false
	}
	return fieldEnd(s, i, v)
}

// fieldEnd checks that a field ends at s[i] (a comma, skipped, or the end).
func fieldEnd[T any](s []byte, i int, v T) (T, int, bool) {
	switch {
	case i == len(s):
		return v, i, true
	case s[i] == ',':
		return v, i + 1, true
	}
	var zero T
	return zero, 0, false
}

// scanDecimal reads an unsigned decimal (digits, optionally a point and
// more digits) ending at a comma or the end of s, by parseDecimalFast's
// method: up to 19 digits, fractions eight digits at a time, one exact
// division.
func scanDecimal(s []byte, i int) (f float64, next int, ok bool) {
	var mant uint64
	digits, exp := 0, 0
	for ; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			break
		}
		mant = mant*10 + uint64(c)
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s); {
			if i+8 <= len(s) && digits+8 <= maxDigits {
				if v := load8(s, i); eightDigits(v) {
					mant = mant*100_000_000 + parse8(v)
					digits += 8
					exp -= 8
					i += 8
					continue
				}
			}
			c := s[i] - '0'
			if c > 9 {
				break
			}
			mant = mant*10 + uint64(c)
			digits++
			exp--
			i++
		}
	}
	if digits == 0 || digits > maxDigits {
		return 0, 0, false
	}
	for mant > 1<<53 && exp < 0 && mant%10 == 0 {
		mant /= 10
		exp++
	}
	if mant > 1<<53 || exp < -22 {
		return 0, 0, false
	}
	f = float64(mant)
	if exp < 0 {
		f /= pow10[-exp]
	}
	return fieldEnd(s, i, f)
}

// scanBool reads True/False/true/false ending at a comma or the end of s.
func scanBool(s []byte, i int) (v bool, next int, ok bool) {
	if i+4 <= len(s) && s[i]|0x20 == 't' && string(s[i+1:i+4]) == "rue" {
		return fieldEnd(s, i+4, true)
	}
	if i+5 <= len(s) && s[i]|0x20 == 'f' && string(s[i+1:i+5]) == "alse" {
		return fieldEnd(s, i+5, false)
	}
	return false, 0, false
}
