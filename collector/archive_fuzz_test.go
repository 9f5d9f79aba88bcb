package collector

import (
	"bufio"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// FuzzParseCSVRow: any line either fails cleanly or yields a candle in
// milliseconds that survives formatting and parsing again unchanged.
// Seeds: every line of the real-format fixtures plus testdata/fuzz.
func FuzzParseCSVRow(f *testing.F) {
	files, _ := filepath.Glob(fixturePath("*", "*.csv"))
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			f.Add(sc.Text())
		}
		fh.Close()
	}
	f.Fuzz(func(t *testing.T, line string) {
		k, err := parseCSVRow([]byte(line))
		if err != nil {
			return
		}
		if k.OpenTime >= microsThreshold || k.CloseTime >= microsThreshold {
			t.Fatalf("times not normalised to ms: %+v", k)
		}
		if hasNaN(k) {
			return // NaN != NaN; the builder's validation rejects such rows
		}
		again, err := parseCSVRow([]byte(formatRow(k)))
		if err != nil || again != k {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", line, again, err, k)
		}
	})
}

func hasNaN(k transform.Kline) bool {
	for _, v := range [...]float64{k.Open, k.High, k.Low, k.Close, k.Volume, k.QuoteVolume, k.TakerBuyBase, k.TakerBuyQuote} {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}

func formatRow(k transform.Kline) string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return strings.Join([]string{
		strconv.FormatInt(k.OpenTime, 10), g(k.Open), g(k.High), g(k.Low), g(k.Close), g(k.Volume),
		strconv.FormatInt(k.CloseTime, 10), g(k.QuoteVolume), strconv.FormatInt(k.Trades, 10),
		g(k.TakerBuyBase), g(k.TakerBuyQuote), "0",
	}, ",")
}

// FuzzParseChecksum: an accepted CHECKSUM yields a lower-case SHA-256 hex
// digest, and the canonical line for it is accepted with the same digest.
func FuzzParseChecksum(f *testing.F) {
	files, _ := filepath.Glob(fixturePath("*", "*.CHECKSUM"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), strings.TrimSuffix(filepath.Base(name), ".CHECKSUM"))
	}
	f.Fuzz(func(t *testing.T, text, zipName string) {
		sum, err := parseChecksum(text, zipName)
		if err != nil {
			return
		}
		if b, err := hex.DecodeString(sum); err != nil || len(b) != 32 || strings.ToLower(sum) != sum {
			t.Fatalf("digest %q from %q", sum, text)
		}
		if again, err := parseChecksum(sum+"  "+zipName+"\n", zipName); err != nil || again != sum {
			t.Fatalf("canonical line for %q: %q, %v", sum, again, err)
		}
	})
}
