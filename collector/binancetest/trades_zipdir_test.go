package binancetest

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTradesZipDir: with WithTradesZipDir the zip, its CHECKSUM and a
// Range request give the same bytes as a generating fake, from one file
// built under the folder.
func TestTradesZipDir(t *testing.T) {
	now := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	gen, files := tradeServer(t, now, 5), tradeServer(t, now, 5, WithTradesZipDir(dir))
	for _, agg := range []bool{false, true} {
		path := TradesArchivePath(Spot, "BTCUSDT", agg, true, day("2024-03-02"))
		_, want := getArchive(t, gen.URL()+path)
		_, wantSum := getArchive(t, gen.URL()+path+".CHECKSUM")
		_, gotSum := getArchive(t, files.URL()+path+".CHECKSUM")
		code, got := getArchive(t, files.URL()+path)
		if code != 200 || !bytes.Equal(got, want) || !bytes.Equal(gotSum, wantSum) {
			t.Fatalf("agg=%v: %d, %d bytes (CHECKSUM %q), want %d bytes (%q)", agg, code, len(got), gotSum, len(want), wantSum)
		}
		if onDisk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path[1:]))); err != nil || !bytes.Equal(onDisk, want) {
			t.Fatalf("agg=%v: file under the folder: %v, %d bytes", agg, err, len(onDisk))
		}
		req, _ := http.NewRequest(http.MethodGet, files.URL()+path, nil)
		req.Header.Set("Range", "bytes=1000-")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var part bytes.Buffer
		part.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part.Bytes(), want[1000:]) {
			t.Fatalf("agg=%v: Range: %d, %d bytes, want 206 and %d", agg, resp.StatusCode, part.Len(), len(want)-1000)
		}
	}
}
