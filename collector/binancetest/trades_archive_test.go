package binancetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func day(v string) time.Time { t, _ := time.Parse("2006-01-02", v); return t }

// wantTradeCSV renders the expected CSV of a day from the exported API.
func wantTradeCSV(s *Server, m Market, agg bool, d time.Time) string {
	var b strings.Builder
	sym := tradeSymbols[m]
	micros := m == Spot && !d.Before(spotMicrosFrom)
	tm := func(us int64) int64 {
		if micros {
			return us
		}
		return us / 1000
	}
	boolean := func(v bool) string {
		if m == Spot {
			return map[bool]string{true: "True", false: "False"}[v]
		}
		return strconv.FormatBool(v)
	}
	best := map[bool]string{true: ",True", false: ""}[m == Spot]
	if agg {
		for _, a := range s.AggTrades(m, sym, d, d.AddDate(0, 0, 1)) {
			fmt.Fprintf(&b, "%d,%s,%s,%d,%d,%d,%s%s\n", a.ID, a.Price, a.Qty, a.FirstTradeID, a.LastTradeID, tm(a.Time), boolean(a.IsBuyerMaker), best)
		}
		return b.String()
	}
	for _, t := range s.Trades(m, sym, d, d.AddDate(0, 0, 1)) {
		fmt.Fprintf(&b, "%d,%s,%s,%s,%d,%s%s\n", t.ID, t.Price, t.Qty, t.QuoteQty, tm(t.Time), boolean(t.IsBuyerMaker), best)
	}
	return b.String()
}

func TestTradesArchiveFormats(t *testing.T) {
	now := time.Date(2025, 1, 3, 7, 0, 0, 0, time.UTC)
	s := tradeServer(t, now, 3)
	for _, tc := range []struct {
		name   string
		m      Market
		agg    bool
		date   string
		header string
	}{
		{"spot trades ms era", Spot, false, "2024-12-31", ""},
		{"spot trades us era", Spot, false, "2025-01-01", ""},
		{"spot aggTrades us era", Spot, true, "2025-01-02", ""},
		{"spot aggTrades ms era", Spot, true, "2022-08-11", ""},
		{"usdm trades before header", USDM, false, "2022-08-10", ""},
		{"usdm trades with header", USDM, false, "2022-08-11", "id,price,qty,quote_qty,time,is_buyer_maker\n"},
		{"coinm trades with header", COINM, false, "2024-05-05", "id,price,qty,base_qty,time,is_buyer_maker\n"},
		{"usdm aggTrades", USDM, true, "2024-05-05", "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n"},
		{"coinm aggTrades before header", COINM, true, "2021-01-01", ""},
	} {
		path := TradesArchivePath(tc.m, tradeSymbols[tc.m], tc.agg, true, day(tc.date))
		code, z := getArchive(t, s.URL()+path)
		if code != 200 {
			t.Fatalf("%s: %s = %d", tc.name, path, code)
		}
		got, want := csvOf(t, z), tc.header+wantTradeCSV(s, tc.m, tc.agg, day(tc.date))
		if got != want {
			t.Fatalf("%s: CSV differs; got %.300q\nwant %.300q", tc.name, got, want)
		}
		if n := strings.Count(got, "\n"); n < 1440 {
			t.Fatalf("%s: %d rows", tc.name, n)
		}
		_, sum := getArchive(t, s.URL()+path+".CHECKSUM")
		digest := sha256.Sum256(z)
		if string(sum) != fmt.Sprintf("%x  %s\n", digest, path[strings.LastIndexByte(path, '/')+1:]) {
			t.Fatalf("%s: CHECKSUM %q", tc.name, sum)
		}
	}
}

func TestTradesArchivePublishing(t *testing.T) {
	now := time.Date(2025, 1, 3, 7, 0, 0, 0, time.UTC)
	s := tradeServer(t, now, 1, WithArchivePublishDelay(8*time.Hour, 0))
	for _, tc := range []struct {
		path   string
		status int
	}{
		{TradesArchivePath(Spot, "BTCUSDT", false, true, day("2025-01-01")), 200},
		{TradesArchivePath(Spot, "BTCUSDT", false, true, day("2025-01-02")), 404}, // before 08:00 next day
		{TradesArchivePath(Spot, "BTCUSDT", true, false, day("2024-12-01")), 200},
		{TradesArchivePath(Spot, "BTCUSDT", true, false, day("2025-01-01")), 404}, // month not over
		{TradesArchivePath(Spot, "ETHUSDT", false, true, day("2025-01-01")), 404}, // no trades
		{TradesArchivePath(USDM, "BTCUSDT", true, true, day("2017-08-16")), 404},  // before listing
		{"/data/spot/daily/trades/BTCUSDT/BTCUSDT-aggTrades-2025-01-01.zip", 404},
	} {
		res, err := http.Head(s.URL() + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s = %d, want %d", tc.path, res.StatusCode, tc.status)
		}
	}
}

func rangeGet(t *testing.T, url, rng, ifRange string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	if ifRange != "" {
		req.Header.Set("If-Range", ifRange)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

func TestTradesArchiveRangeAndResume(t *testing.T) {
	now := time.Date(2025, 1, 3, 7, 0, 0, 0, time.UTC)
	s := tradeServer(t, now, 50) // ~72k rows, about a megabyte zipped
	url := s.URL() + TradesArchivePath(Spot, "BTCUSDT", false, true, day("2025-01-01"))
	res, full, err := rangeGet(t, url, "", "")
	if err != nil || res.StatusCode != 200 || res.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("full: %v %d %v", err, res.StatusCode, res.Header)
	}
	sum := sha256.Sum256(full)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	if res.Header.Get("ETag") != etag || res.ContentLength != int64(len(full)) {
		t.Fatalf("ETag %s, length %d of %d", res.Header.Get("ETag"), res.ContentLength, len(full))
	}

	res, part, err := rangeGet(t, url, "bytes=1000-", etag)
	want := fmt.Sprintf("bytes 1000-%d/%d", len(full)-1, len(full))
	if err != nil || res.StatusCode != 206 || res.Header.Get("Content-Range") != want || !bytes.Equal(part, full[1000:]) {
		t.Fatalf("range: %v %d %q", err, res.StatusCode, res.Header.Get("Content-Range"))
	}
	if res, part, _ = rangeGet(t, url, "bytes=10-19", ""); res.StatusCode != 206 || !bytes.Equal(part, full[10:20]) {
		t.Fatalf("bounded range: %d %d bytes", res.StatusCode, len(part))
	}
	if res, part, _ = rangeGet(t, url, "bytes=1000-", `"other"`); res.StatusCode != 200 || !bytes.Equal(part, full) {
		t.Fatalf("stale If-Range: %d", res.StatusCode)
	}
	if res, _, _ = rangeGet(t, url, fmt.Sprintf("bytes=%d-", len(full)), ""); res.StatusCode != 416 {
		t.Fatalf("past the end: %d", res.StatusCode)
	}

	// A download cut at 80% resumes from where it stopped.
	s.InjectArchiveCut(TradesArchivePath(Spot, "BTCUSDT", false, true, day("2025-01-01")), 1, 0.8)
	res, head, err := rangeGet(t, url, "", "")
	if err == nil || res.StatusCode != 200 || len(head) != len(full)*8/10 || !bytes.Equal(head, full[:len(head)]) {
		t.Fatalf("cut: err %v, got %d of %d bytes", err, len(head), len(full))
	}
	res, tail, err := rangeGet(t, url, fmt.Sprintf("bytes=%d-", len(head)), etag)
	if err != nil || res.StatusCode != 206 || !bytes.Equal(append(head, tail...), full) {
		t.Fatalf("resume: %v %d", err, res.StatusCode)
	}
}

func TestTradesArchiveFaults(t *testing.T) {
	now := time.Date(2025, 1, 3, 7, 0, 0, 0, time.UTC)
	s := tradeServer(t, now, 5)
	path := TradesArchivePath(USDM, "BTCUSDT", true, true, day("2025-01-01"))
	_, clean := getArchive(t, s.URL()+path)

	s.InjectArchive(path, 1, ArchiveCorruptZip)
	_, sum := getArchive(t, s.URL()+path+".CHECKSUM")
	_, bad := getArchive(t, s.URL()+path)
	if len(bad) != len(clean) || bytes.Equal(bad, clean) || !strings.HasPrefix(string(sum), fmt.Sprintf("%x", sha256.Sum256(bad))) {
		t.Fatal("corrupt zip: want same length, other bytes, CHECKSUM of the damaged bytes")
	}
	s.InjectArchive(path, 1, ArchiveTruncatedZip)
	if _, half := getArchive(t, s.URL()+path); len(half) != len(clean)/2 || !bytes.Equal(half, clean[:len(half)]) {
		t.Fatalf("truncated: %d of %d bytes", len(half), len(clean))
	}
	s.InjectArchive(path, 1, ArchiveBadChecksum)
	if _, sum := getArchive(t, s.URL()+path+".CHECKSUM"); strings.HasPrefix(string(sum), fmt.Sprintf("%x", sha256.Sum256(clean))) {
		t.Fatal("bad checksum matches")
	}
	if _, z := getArchive(t, s.URL()+path); !bytes.Equal(z, clean) { // the download uses the fault up
		t.Fatal("bad checksum: the zip itself must be good")
	}
	s.InjectArchive(path, 1, ArchiveCorruptRow)
	if _, z := getArchive(t, s.URL()+path); !strings.Contains(csvOf(t, z), "\n1.5e3,oops,not,a,trade\n") {
		t.Fatal("no corrupt row")
	}
	s.InjectArchive(path, 1, ArchiveMissing)
	if code, _ := getArchive(t, s.URL()+path); code != 404 {
		t.Fatalf("missing: %d", code)
	}
	if _, again := getArchive(t, s.URL()+path); !bytes.Equal(again, clean) {
		t.Fatal("faults did not wear off")
	}
}
