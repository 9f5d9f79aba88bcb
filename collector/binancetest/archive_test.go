package binancetest

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func getArchive(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// csvOf unzips the one CSV of an archive zip.
func csvOf(t *testing.T, z []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil || len(zr.File) != 1 {
		t.Fatalf("zip: %v, %d entries", err, len(zr.File))
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestArchiveFiles(t *testing.T) {
	now := time.Date(2025, 1, 3, 7, 0, 0, 0, time.UTC)
	s := New(WithClock(func() time.Time { return now }), WithArchivePublishDelay(8*time.Hour, 0))
	defer s.Close()
	d := func(v string) time.Time { t, _ := time.Parse("2006-01-02", v); return t }
	for _, tc := range []struct {
		name   string
		path   string
		status int
		first  string // prefix of the first CSV line
		rows   int
	}{
		{"spot month in ms", ArchivePath(Spot, "BTCUSDT", "1h", false, d("2024-12-01")), 200, "1733011200000,", 744},
		{"spot day in µs", ArchivePath(Spot, "BTCUSDT", "1h", true, d("2025-01-01")), 200, "1735689600000000,", 24},
		{"futures with header", ArchivePath(USDM, "BTCUSDT", "1d", false, d("2024-12-01")), 200, "open_time,open,high", 31},
		{"futures without header", ArchivePath(USDM, "BTCUSDT", "1d", false, d("2021-12-01")), 200, "1638316800000,", 31},
		{"monthly 1mo", ArchivePath(COINM, "BTCUSD_PERP", "1M", false, d("2024-12-01")), 200, "open_time,", 1},
		{"yesterday before 08:00 delay", ArchivePath(Spot, "BTCUSDT", "1h", true, d("2025-01-02")), 404, "", 0},
		{"current month", ArchivePath(Spot, "BTCUSDT", "1h", false, d("2025-01-01")), 404, "", 0},
		{"unknown symbol", ArchivePath(Spot, "NOPEUSDT", "1h", false, d("2024-12-01")), 404, "", 0},
		{"before listing", ArchivePath(Spot, "BTCUSDT", "1h", false, d("2017-07-01")), 404, "", 0},
		{"REST spelling 1M", strings.ReplaceAll(ArchivePath(Spot, "BTCUSDT", "1M", false, d("2024-12-01")), "1mo", "1M"), 404, "", 0},
		{"1s on futures", ArchivePath(USDM, "BTCUSDT", "1s", true, d("2024-12-01")), 404, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, z := getArchive(t, s.URL()+tc.path)
			sc, sum := getArchive(t, s.URL()+tc.path+".CHECKSUM")
			if code != tc.status || sc != tc.status {
				t.Fatalf("zip %d, CHECKSUM %d; want %d", code, sc, tc.status)
			}
			if code != 200 {
				return
			}
			name := tc.path[strings.LastIndexByte(tc.path, '/')+1:]
			if want := fmt.Sprintf("%x  %s\n", sha256.Sum256(z), name); string(sum) != want {
				t.Errorf("CHECKSUM %q, want %q", sum, want)
			}
			text := csvOf(t, z)
			lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
			if !strings.HasPrefix(lines[0], tc.first) {
				t.Errorf("first line %q, want prefix %q", lines[0], tc.first)
			}
			if n := len(lines) - strings.Count(lines[0], "open_time"); n != tc.rows {
				t.Errorf("%d rows, want %d", n, tc.rows)
			}
		})
	}
}

func TestArchiveFaults(t *testing.T) {
	s := New(WithClock(func() time.Time { return time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC) }))
	defer s.Close()
	path := ArchivePath(Spot, "ETHUSDT", "1h", false, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	_, good := getArchive(t, s.URL()+path)
	for _, tc := range []struct {
		fault ArchiveFault
		check func(sum string, z []byte) string // "" = as expected
	}{
		{ArchiveMissing, nil},
		{ArchiveCorruptZip, func(sum string, z []byte) string {
			if fmt.Sprintf("%x", sha256.Sum256(z)) != sum[:64] || bytes.Equal(z, good) {
				return "want damaged bytes with a matching CHECKSUM"
			}
			return ""
		}},
		{ArchiveTruncatedZip, func(sum string, z []byte) string {
			if len(z) != len(good)/2 || fmt.Sprintf("%x", sha256.Sum256(good)) != sum[:64] {
				return "want half the zip beside the whole zip's CHECKSUM"
			}
			return ""
		}},
		{ArchiveBadChecksum, func(sum string, z []byte) string {
			if !bytes.Equal(z, good) || fmt.Sprintf("%x", sha256.Sum256(z)) == sum[:64] {
				return "want the good zip beside a wrong CHECKSUM"
			}
			return ""
		}},
		{ArchiveCorruptRow, func(sum string, z []byte) string {
			if fmt.Sprintf("%x", sha256.Sum256(z)) != sum[:64] || !strings.Contains(csvOf(t, z), "oops") {
				return "want a valid zip with a bad row"
			}
			return ""
		}},
	} {
		s.InjectArchive(path, 1, tc.fault)
		sc, sum := getArchive(t, s.URL()+path+".CHECKSUM")
		code, z := getArchive(t, s.URL()+path)
		if tc.fault == ArchiveMissing {
			if sc != 404 || code != 200 {
				t.Errorf("missing once: CHECKSUM %d then zip %d, want 404 then 200", sc, code)
			}
			continue
		}
		if msg := tc.check(string(sum), z); sc != 200 || code != 200 || msg != "" {
			t.Errorf("fault %d: %d/%d %s", tc.fault, sc, code, msg)
		}
		if _, again := getArchive(t, s.URL()+path); !bytes.Equal(again, good) {
			t.Errorf("fault %d was not used up by one download", tc.fault)
		}
	}
}
