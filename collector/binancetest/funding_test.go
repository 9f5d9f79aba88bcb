package binancetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func parseFunding(t *testing.T, body []byte) []FundingRate {
	t.Helper()
	var raw []struct {
		Symbol      string `json:"symbol"`
		FundingTime int64  `json:"fundingTime"`
		FundingRate string `json:"fundingRate"`
		MarkPrice   string `json:"markPrice"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	out := make([]FundingRate, len(raw))
	for i, r := range raw {
		out[i] = FundingRate{Time: r.FundingTime, Rate: r.FundingRate, MarkPrice: r.MarkPrice}
	}
	return out
}

func TestFundingRateREST(t *testing.T) {
	s, _ := newTest(t)
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	all := s.FundingRates(USDM, "BTCUSDT", from, testNow)
	if len(all) != 3*14+2 {
		t.Fatalf("%d settlements in March, want 44", len(all))
	}
	for i, fr := range all {
		slot := fr.Time / fundingMs * fundingMs
		if slot != from.UnixMilli()+int64(i)*fundingMs || fr.Time-slot > 3 || fr.IntervalHours != 8 || fr.Rate == "" || fr.MarkPrice == "" {
			t.Fatalf("settlement %d: %+v", i, fr)
		}
	}
	// From startTime: the oldest, limit rows; endTime bounds them.
	page := parseFunding(t, get(t, s, "/fapi/v1/fundingRate?symbol=BTCUSDT&limit=10&startTime="+msq(from)).body)
	if len(page) != 10 || page[0] != (FundingRate{Time: all[0].Time, Rate: all[0].Rate, MarkPrice: all[0].MarkPrice}) || page[9].Time != all[9].Time {
		t.Errorf("page from startTime: %+v", page)
	}
	page = parseFunding(t, get(t, s, fmt.Sprintf("/fapi/v1/fundingRate?symbol=BTCUSDT&limit=1000&startTime=%d&endTime=%d", all[1].Time+1, all[3].Time)).body)
	if len(page) != 2 || page[0].Time != all[2].Time || page[1].Time != all[3].Time {
		t.Errorf("page between start and end: %+v", page)
	}
	// Without startTime: the newest 100, up to now.
	page = parseFunding(t, get(t, s, "/fapi/v1/fundingRate?symbol=BTCUSDT").body)
	if len(page) != 100 || page[99].Time != all[len(all)-1].Time {
		t.Errorf("default page: %d rows, last %+v", len(page), page[len(page)-1])
	}
	// COIN-M perpetuals settle, delivery contracts do not.
	if page := parseFunding(t, get(t, s, "/dapi/v1/fundingRate?symbol=BTCUSD_PERP&limit=5&startTime="+msq(from)).body); len(page) != 5 || page[0].Time/fundingMs*fundingMs != from.UnixMilli() {
		t.Errorf("coinm page: %+v", page)
	}
	s2, _ := newTest(t, WithSymbols(COINM, map[string]time.Time{"BTCUSD_240628": DefaultListing}))
	if r := get(t, s2, "/dapi/v1/fundingRate?symbol=BTCUSD_240628"); r.status != http.StatusOK || string(r.body) != "[]" {
		t.Errorf("delivery contract: %d %s", r.status, r.body)
	}
	wantError(t, get(t, s, "/fapi/v1/fundingRate?symbol=NOPE"), http.StatusBadRequest, -1121)
	wantError(t, get(t, s, "/fapi/v1/fundingRate?symbol=BTCUSDT&limit=1001"), http.StatusBadRequest, -1130)
	wantError(t, get(t, s, "/fapi/v1/fundingRate"), http.StatusBadRequest, -1102)
	if r := get(t, s, "/api/v3/fundingRate?symbol=BTCUSDT"); r.status != http.StatusNotFound {
		t.Errorf("spot has no funding: %d", r.status)
	}
}

func TestFundingRateArchive(t *testing.T) {
	s, _ := newTest(t)
	feb := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	path := FundingArchivePath(USDM, "BTCUSDT", feb)
	if path != "/data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-02.zip" {
		t.Fatalf("path %s", path)
	}
	zr := get(t, s, path)
	sum := get(t, s, path+".CHECKSUM")
	digest := sha256.Sum256(zr.body)
	if zr.status != http.StatusOK || string(sum.body) != hex.EncodeToString(digest[:])+"  BTCUSDT-fundingRate-2024-02.zip\n" {
		t.Fatalf("zip %d, CHECKSUM %q", zr.status, sum.body)
	}
	var want strings.Builder
	want.WriteString("calc_time,funding_interval_hours,last_funding_rate\n")
	for _, fr := range s.FundingRates(USDM, "BTCUSDT", feb, feb.AddDate(0, 1, 0)) {
		fmt.Fprintf(&want, "%d,8,%s\n", fr.Time, fr.Rate)
	}
	if got := csvOf(t, zr.body); got != want.String() || strings.Count(got, "\n") != 1+3*29 {
		t.Errorf("CSV:\n%.300s\nwant:\n%.300s", got, want.String())
	}
	// The current month is not published; neither are spot, daily files
	// or coinm delivery contracts.
	for _, p := range []string{FundingArchivePath(USDM, "BTCUSDT", testNow), strings.Replace(path, "futures/um", "spot", 1),
		"/data/futures/um/daily/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-02-01.zip"} {
		if r := get(t, s, p); r.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.status)
		}
	}
	// Scripted faults apply: a corrupt zip matches its CHECKSUM.
	s.InjectArchive(path, 1, ArchiveCorruptZip)
	bad, badSum := get(t, s, path+".CHECKSUM"), get(t, s, path)
	d := sha256.Sum256(badSum.body)
	if !strings.HasPrefix(string(bad.body), hex.EncodeToString(d[:])) || string(badSum.body) == string(zr.body) {
		t.Error("corrupt zip: CHECKSUM does not match the damaged bytes")
	}
	if again := get(t, s, path); string(again.body) != string(zr.body) {
		t.Error("the fault outlived its one download")
	}
}
