package collector

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/inflate"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// fixtures are hand-written in Binance's exact formats (testdata/archive).
var fixtures = []struct {
	dir, stem string
	iv        transform.Interval
	first     transform.Kline
}{
	{"spot-ms", "BTCUSDT-1m-2024-01-01", "1m", transform.Kline{OpenTime: 1704067200000, Open: 42283.58, High: 42298.62, Low: 42261.02, Close: 42298.61, Volume: 35.92724, CloseTime: 1704067259999, QuoteVolume: 1519032.7725024, Trades: 1327, TakerBuyBase: 22.5078, TakerBuyQuote: 951630.1657344}},
	{"spot-us", "BTCUSDT-1m-2025-01-01", "1m", transform.Kline{OpenTime: 1735689600000, Open: 93576, High: 93610.93, Low: 93537.5, Close: 93610.93, Volume: 8.21827, CloseTime: 1735689659999, QuoteVolume: 768978.4450238, Trades: 2479, TakerBuyBase: 4.71376, TakerBuyQuote: 441102.9935899}},
	{"futures-header", "BTCUSDT-1h-2024-01-01", "1h", transform.Kline{OpenTime: 1704067200000, Open: 42314, High: 42554.6, Low: 42261, Close: 42475.2, Volume: 8903.261, CloseTime: 1704070799999, QuoteVolume: 377960912.3162, Trades: 90133, TakerBuyBase: 4760.544, TakerBuyQuote: 202102612.0608}},
	{"futures-noheader", "BTCUSDT-1h-2021-01-01", "1h", transform.Kline{OpenTime: 1609459200000, Open: 28948.19, High: 29055, Low: 28690.17, Close: 28980.01, Volume: 15453.641, CloseTime: 1609462799999, QuoteVolume: 445964412.49669, Trades: 94310, TakerBuyBase: 7862.003, TakerBuyQuote: 226902834.44191}},
}

func fixturePath(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata", "archive"}, parts...)...)
}

// TestArchiveFixtures verifies and decodes real-format zips: header or not,
// ms or µs, every row is a valid candle in ms on the interval grid.
func TestArchiveFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.dir, func(t *testing.T) {
			zipped, err := os.ReadFile(fixturePath(fx.dir, fx.stem+".zip"))
			if err != nil {
				t.Fatal(err)
			}
			sumText, err := os.ReadFile(fixturePath(fx.dir, fx.stem+".zip.CHECKSUM"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := parseChecksum(string(sumText), fx.stem+".zip")
			if err != nil {
				t.Fatal(err)
			}
			if got := sha256.Sum256(zipped); hex.EncodeToString(got[:]) != want {
				t.Fatalf("fixture digest %x, CHECKSUM %s", got, want)
			}
			// Real-format rows fit the bounds of their file.
			date, err := time.Parse("2006-01-02", fx.stem[len(fx.stem)-10:])
			if err != nil {
				t.Fatal(err)
			}
			lim := limitsOf(ArchiveFile{Market: Spot, Symbol: "BTCUSDT", Interval: fx.iv, Daily: true, Date: date})
			var rows []transform.Kline
			if err := decodeZip(zipped, lim, func(k transform.Kline) error {
				rows = append(rows, k)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(rows) != 3 || rows[0] != fx.first {
				t.Fatalf("decoded %d rows, first %+v; want 3, first %+v", len(rows), rows[0], fx.first)
			}
			for _, k := range rows {
				if err := transform.Validate(fx.iv, k); err != nil {
					t.Errorf("row invalid: %v", err)
				}
			}
		})
	}
}

func TestParseCSVRow(t *testing.T) {
	const ms = "1704067200000,1.5,2,1,1.75,10,1704067259999,15,3,4,6,0"
	for _, tc := range []struct {
		name, line  string
		open, close int64
		err         string // "" ok; "header" for errHeader
	}{
		{"milliseconds", ms, 1704067200000, 1704067259999, ""},
		{"microseconds", "1735689600000000,1.5,2,1,1.75,10,1735689659999999,15,3,4,6,0", 1735689600000, 1735689659999, ""},
		{"no ignore column", strings.TrimSuffix(ms, ",0"), 1704067200000, 1704067259999, ""},
		{"header", "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore", 0, 0, "header"},
		{"too few fields", "1704067200000,1.5,2", 0, 0, "3 fields"},
		{"too many fields", ms + ",7", 0, 0, "more than 12"},
		{"bad price", strings.Replace(ms, "1.5", "1.5x", 1), 0, 0, "open"},
		{"bad close time", strings.Replace(ms, "1704067259999", "later", 1), 0, 0, "close_time"},
		{"bad count", strings.Replace(ms, ",3,", ",3.5,", 1), 0, 0, "count"},
		{"bad open time", "17040672e5" + ms[13:], 0, 0, "open_time"},
		{"empty", "", 0, 0, "1 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := parseCSVRow([]byte(tc.line))
			switch {
			case tc.err == "header":
				if !errors.Is(err, errHeader) {
					t.Fatalf("err %v, want header", err)
				}
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case k.OpenTime != tc.open || k.CloseTime != tc.close || k.Open != 1.5 || k.Trades != 3 || k.TakerBuyQuote != 6:
				t.Fatalf("parsed %+v", k)
			}
		})
	}
}

func TestReadCSVHeaderOnlyFirst(t *testing.T) {
	header := "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\r\n"
	row := "1704067200000,1.5,2,1,1.75,10,1704067259999,15,3,4,6,0\r\n"
	for _, tc := range []struct {
		name, text string
		rows       int
		err        bool
	}{
		{"header and rows, CRLF", header + row + row, 2, false},
		{"rows, no final newline", row + strings.TrimSpace(row), 2, false},
		{"header in the middle", row + header, 1, true},
		{"empty file", "", 0, false},
		{"endless line", strings.Repeat("1", 70000), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			err := readCSV(strings.NewReader(tc.text), func(transform.Kline) error { n++; return nil })
			if (err != nil) != tc.err || n != tc.rows {
				t.Fatalf("rows %d err %v; want %d rows, err %v", n, err, tc.rows, tc.err)
			}
		})
	}
}

func TestParseChecksum(t *testing.T) {
	const sum = "4624f810865053249ee583d6cef95f48bc2fa1fc3a5249e22607a8154c5a5bb5"
	const name = "BTCUSDT-1h-2024-01-01.zip"
	for _, tc := range []struct {
		name, text, err string
	}{
		{"sha256sum", sum + "  " + name + "\n", ""},
		{"no newline", sum + "  " + name, ""},
		{"binary mode", sum + " *" + name + "\n", ""},
		{"upper case", strings.ToUpper(sum) + "  " + name + "\r\n", ""},
		{"other zip", sum + "  ETHUSDT-1h-2024-01-01.zip\n", "names"},
		{"short digest", sum[:60] + "  " + name, "64 hex"},
		{"not hex", strings.Replace(sum, "4", "g", 1) + "  " + name, "hexadecimal"},
		{"no name", sum, "is not"},
		{"two lines", sum + "  " + name + "\n" + sum + "  " + name + "\n", "more than one line"},
		{"html error page", "<html><body>Not Found</body></html>", "64 hex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseChecksum(tc.text, name)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != sum {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

// TestZipEntryInflatedInPlace: archive/zip hands the decompressor a section
// of the in-memory zip, so entries are inflated in place by collector/inflate
// (the fast path); a zip read through another io.ReaderAt still decodes,
// through klauspost/compress.
func TestZipEntryInflatedInPlace(t *testing.T) {
	csv := benchMonthCSV()
	zipped := benchZip(t, csv)
	for _, c := range []struct {
		name    string
		r       io.ReaderAt
		inPlace bool
	}{{"zipBytes", zipBytes(zipped), true}, {"bytes.Reader", bytes.NewReader(zipped), false}} {
		zr, err := zip.NewReader(c.r, int64(len(zipped)))
		if err != nil {
			t.Fatal(err)
		}
		var dec io.ReadCloser
		zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { dec = newInflater(r); return dec })
		rc, err := zr.File[0].Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, csv) {
			t.Fatalf("%s: %v, %d bytes, want %d", c.name, err, len(got), len(csv))
		}
		if _, ok := dec.(*inflate.Reader); ok != c.inPlace {
			t.Errorf("%s: decompressor %T, in place %v, want %v", c.name, dec, ok, c.inPlace)
		}
	}
}
