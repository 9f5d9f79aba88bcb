package collector

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// limitsFile is the daily 1h file the bound tests serve: 24 candles.
var limitsFile = ArchiveFile{Market: Spot, Symbol: "BTCUSDT", Interval: "1h", Daily: true, Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}

// hourRows is n valid 1h CSV rows from open time start, a row repeated
// where dup says so.
func hourRows(start int64, n int, dup int) []byte {
	var b bytes.Buffer
	for i := range n {
		ot := start + int64(i)*3_600_000
		fmt.Fprintf(&b, "%d,100.5,101,99.5,100.25,12.5,%d,1250.5,42,6.25,625.25,0\n", ot, ot+3_599_999)
		if i == dup {
			fmt.Fprintf(&b, "%d,100.5,101,99.5,100.25,12.5,%d,1250.5,42,6.25,625.25,0\n", ot, ot+3_599_999)
		}
	}
	return b.Bytes()
}

// zipEntry is one entry of a crafted zip; declared, if set, is the
// uncompressed size its headers claim instead of the real one.
type zipEntry struct {
	name     string
	data     []byte
	stored   bool
	declared uint64
}

func craftZip(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		var raw bytes.Buffer
		method := zip.Deflate
		if e.stored {
			method = zip.Store
			raw.Write(e.data)
		} else {
			fw, _ := flate.NewWriter(&raw, flate.DefaultCompression)
			fw.Write(e.data)
			fw.Close()
		}
		size := uint64(len(e.data))
		if e.declared > 0 {
			size = e.declared
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: method, CRC32: crc32.ChecksumIEEE(e.data),
			CompressedSize64: uint64(raw.Len()), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(raw.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// archiveServer serves one zip and its CHECKSUM under f's path and counts
// the downloads of the zip.
type archiveServer struct {
	*httptest.Server
	mu        sync.Mutex
	downloads int
}

func serveZip(t *testing.T, f ArchiveFile, zipped []byte) *archiveServer {
	sum := sha256.Sum256(zipped)
	s := &archiveServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case f.Path():
			s.mu.Lock()
			s.downloads++
			s.mu.Unlock()
			w.Write(zipped)
		case f.Path() + ".CHECKSUM":
			fmt.Fprintf(w, "%s  %s\n", hex.EncodeToString(sum[:]), f.Name())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// TestArchiveFileBounds: a file is bounded by the candles its period can
// hold: an entry declaring more inflated bytes than that, a zip bigger than
// that, more rows than that or rows whose open times stop increasing fail
// the file with an error naming it, and nothing of it is kept; so does a
// panic while decoding it.
func TestArchiveFileBounds(t *testing.T) {
	start, end := limitsFile.Range()
	lim := limitsOf(limitsFile)
	csvName := strings.TrimSuffix(limitsFile.Name(), ".zip") + ".csv"
	junk := make([]byte, 2*lim.zip)
	rand.Read(junk)
	for _, tc := range []struct {
		name  string
		zip   func(t *testing.T) []byte
		panic bool
		err   string // "" the file is fine
	}{
		{"a good day", func(t *testing.T) []byte { return craftZip(t, zipEntry{name: csvName, data: hourRows(start, 24, -1)}) }, false, ""},
		{"padded past its period", func(t *testing.T) []byte {
			// 24 good rows and 1 MB of blank lines, which the parser skips.
			return craftZip(t, zipEntry{name: csvName, data: append(hourRows(start, 24, -1), bytes.Repeat([]byte("\n"), 1<<20)...)})
		}, false, "bytes, more than the"},
		{"inflates past its declared size", func(t *testing.T) []byte {
			data := append(hourRows(start, 24, -1), bytes.Repeat([]byte("\n"), 1<<20)...)
			return craftZip(t, zipEntry{name: csvName, data: data, declared: uint64(lim.entry)})
		}, false, "not a valid zip"},
		{"zip bigger than its period", func(t *testing.T) []byte {
			return craftZip(t, zipEntry{name: csvName, data: hourRows(start, 24, -1)}, zipEntry{name: "junk.bin", data: junk, stored: true})
		}, false, "response body too large: more than the"},
		{"more rows than candles", func(t *testing.T) []byte { return craftZip(t, zipEntry{name: csvName, data: hourRows(start, 40, -1)}) }, false, "row 26: more than the 25 rows"},
		{"open times not increasing", func(t *testing.T) []byte { return craftZip(t, zipEntry{name: csvName, data: hourRows(start, 24, 5)}) }, false, "row 7: open time 2024-01-01T05:00:00Z is not after"},
		{"decoder panics", func(t *testing.T) []byte { return craftZip(t, zipEntry{name: csvName, data: hourRows(start, 24, -1)}) }, true, "panicked: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.panic {
				decodeHook = func(ArchiveFile) { panic("boom") }
				defer func() { decodeHook = nil }()
			}
			srv := serveZip(t, limitsFile, tc.zip(t))
			a := NewArchiveSource(srv.URL, NewArchiveHTTPClient(ClientOptions{Retry: RetryPolicy{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, RequestTimeout: 5 * time.Second}}), nil)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			fb := a.fetch(context.Background(), mem, limitsFile, start, end, end+1)
			if fb.rec != nil {
				defer fb.rec.Release()
			}
			if tc.err == "" {
				if fb.err != nil || fb.rec.NumRows() != 24 {
					t.Fatalf("err %v, rows %v; want 24 rows", fb.err, fb.rec)
				}
				return
			}
			t.Log(fb.err)
			var ae *ArchiveError
			if fb.err == nil || !strings.Contains(fb.err.Error(), tc.err) || !errors.As(fb.err, &ae) || ae.URL != a.URL(limitsFile) {
				t.Fatalf("err %v; want an ArchiveError for %s saying %q", fb.err, a.URL(limitsFile), tc.err)
			}
			if fb.rec != nil || fb.stats.fetched != 0 {
				t.Errorf("the failed file still yielded %d rows", fb.stats.fetched)
			}
		})
	}
}

// TestLimitsFitRealFiles: the bounds hold a real file of every kind the
// CLI downloads, with a margin, and bound the largest (a day of 1s).
func TestLimitsFitRealFiles(t *testing.T) {
	csv := benchMonthCSV() // a month of 1m at Binance's widths
	if lim := limitsOf(benchMonthFile); int64(len(csv)) > lim.entry/2 || lim.rows != 44_641 {
		t.Errorf("a month of 1m: %d bytes, %d rows; limits %+v", len(csv), 44_640, lim)
	}
	day1s := ArchiveFile{Market: Spot, Symbol: "BTCUSDT", Interval: "1s", Daily: true, Date: limitsFile.Date}
	if lim := limitsOf(day1s); lim.rows != 86_401 || lim.zip > 40<<20 {
		t.Errorf("a day of 1s: limits %+v", lim)
	}
	month1M := ArchiveFile{Market: Spot, Symbol: "BTCUSDT", Interval: "1M", Date: limitsFile.Date}
	if lim := limitsOf(month1M); lim.rows != 2 {
		t.Errorf("a month of 1M: limits %+v", lim)
	}
	var rows []transform.Kline
	bounded := boundedRows(fileLimits{rows: 2}, func(k transform.Kline) error { rows = append(rows, k); return nil })
	for _, ot := range []int64{1, 2, 3} {
		if err := bounded(transform.Kline{OpenTime: ot}); (err != nil) != (ot == 3) {
			t.Errorf("row at %d: %v", ot, err)
		}
	}
}
