package transform

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// sameAsStrconv checks ParseFloat and ParseInt, on s as a string and as
// bytes, against the strconv functions: same value (bit for bit) and an
// error exactly when strconv has one.
func sameAsStrconv(t *testing.T, s string) {
	t.Helper()
	want, werr := strconv.ParseFloat(s, 64)
	fs, errS := ParseFloat(s)
	fb, errB := ParseFloat([]byte(s))
	for _, got := range [...]struct {
		f   float64
		err error
	}{{fs, errS}, {fb, errB}} {
		same := math.Float64bits(got.f) == math.Float64bits(want) || math.IsNaN(got.f) && math.IsNaN(want)
		if (got.err != nil) != (werr != nil) || werr == nil && !same {
			t.Fatalf("ParseFloat(%q) = %v, %v; strconv says %v, %v", s, got.f, got.err, want, werr)
		}
	}
	wantI, werrI := strconv.ParseInt(s, 10, 64)
	is, errS := ParseInt(s)
	ib, errB := ParseInt([]byte(s))
	for _, got := range [...]struct {
		v   int64
		err error
	}{{is, errS}, {ib, errB}} {
		if (got.err != nil) != (werrI != nil) || got.v != wantI {
			t.Fatalf("ParseInt(%q) = %v, %v; strconv says %v, %v", s, got.v, got.err, wantI, werrI)
		}
	}
}

func TestParseDecimalMatchesStrconv(t *testing.T) {
	for _, s := range []string{
		"", "-", "+", ".", "-.", "+.", "0", "-0", "+0", "0.", ".0", "-0.0", "00012.3400", "0.00012",
		"42000.01000000", "518520123.45678900", "0.00000001", "1e5", "1.5E-3", "Inf", "-inf", "NaN",
		"0x1p-2", "1_000", "1..2", "1.2.3", "12a", " 1", "1 ", "9007199254740992", "9007199254740993",
		"9007199254740993.0", "900719925474099.3", "123456789012345678901234567890", "0.1234567890123456789",
		"0.0000000000000000000000001", "1.0000000000000000000000001", "-999999999999999999", "1000000000000000000",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "+42", "1,5",
	} {
		sameAsStrconv(t, s)
	}
	// Binance-shaped decimals: up to 12 integer digits, 8 decimal places.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		ip := rng.Uint64N(1_000_000_000_000)
		frac := rng.Uint64N(100_000_000)
		s := strconv.FormatUint(ip, 10) + "." + strconv.FormatUint(100_000_000+frac, 10)[1:]
		if rng.IntN(4) == 0 {
			s = "-" + s
		}
		sameAsStrconv(t, s)
		sameAsStrconv(t, strconv.FormatFloat(rng.Float64()*math.Pow(10, float64(rng.IntN(30)-15)), 'f', -1, 64))
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"42000.01000000", "-0.5", "1e3", "12.", ".5", "9007199254740993"} {
		f.Add(s)
	}
	f.Fuzz(sameAsStrconv)
}

// benchDecimals are Binance-shaped: prices and volumes with 8 places,
// with and without trailing zeros.
var benchDecimals = []string{"42000.01000000", "52218.81015647", "195418.89252808", "3.74085635", "0.00120000", "1054.00000000"}

func BenchmarkParseFloat(b *testing.B) {
	in := make([][]byte, len(benchDecimals))
	for i, s := range benchDecimals {
		in[i] = []byte(s)
	}
	for b.Loop() {
		for _, s := range in {
			if _, err := ParseFloat(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkStrconvParseFloat(b *testing.B) {
	for b.Loop() {
		for _, s := range benchDecimals {
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				b.Fatal(err)
			}
		}
	}
}
