package binancetest

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func at(h, m int) time.Time { return time.Date(2024, 3, 15, h, m, 0, 0, time.UTC) }

// minutes lists 1m open times from..to inclusive.
func minutes(from, to time.Time) []int64 {
	var out []int64
	for t := from; !t.After(to); t = t.Add(time.Minute) {
		out = append(out, t.UnixMilli())
	}
	return out
}

func TestKlinesPaging(t *testing.T) {
	s, _ := newTest(t)
	base := "/api/v3/klines?symbol=BTCUSDT&interval=1m"
	last := at(12, 34) // the candle containing testNow: returned, still open
	tests := []struct {
		name  string
		query string
		want  []int64
		count int // when want is nil: expected length, last open = last
	}{
		{"start only", "&startTime=" + msq(at(12, 0)) + "&limit=10", minutes(at(12, 0), at(12, 9)), 0},
		{"start unaligned rounds up", "&startTime=" + msq(at(12, 0).Add(30*time.Second)) + "&limit=2", minutes(at(12, 1), at(12, 2)), 0},
		{"start near now stops at open candle", "&startTime=" + msq(at(12, 30)), minutes(at(12, 30), last), 0},
		{"end only is inclusive", "&endTime=" + msq(at(12, 10)) + "&limit=5", minutes(at(12, 6), at(12, 10)), 0},
		{"end only unaligned", "&endTime=" + msq(at(12, 10).Add(-time.Millisecond)) + "&limit=2", minutes(at(12, 8), at(12, 9)), 0},
		{"both", "&startTime=" + msq(at(12, 0)) + "&endTime=" + msq(at(12, 10).Add(-1)), minutes(at(12, 0), at(12, 9)), 0},
		{"both, limit wins", "&startTime=" + msq(at(12, 0)) + "&endTime=" + msq(at(13, 0)) + "&limit=3", minutes(at(12, 0), at(12, 2)), 0},
		{"both, end after now", "&startTime=" + msq(at(12, 32)) + "&endTime=" + msq(at(18, 0)), minutes(at(12, 32), last), 0},
		{"neither", "&limit=3", minutes(at(12, 32), last), 0},
		{"neither, default limit 500", "", nil, 500},
		{"limit 1000 is spot max", "&limit=1000", nil, 1000},
		{"start in the future", "&startTime=" + msq(at(13, 0)), []int64{}, 0},
		{"end before listing", "&endTime=" + msq(DefaultListing.Add(-time.Hour)), []int64{}, 0},
		{"start before listing", "&startTime=0&limit=2", []int64{DefaultListing.UnixMilli(), DefaultListing.Add(time.Minute).UnixMilli()}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, s, base+tc.query)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			got := opens(parseKlines(t, r.body))
			if tc.want == nil {
				if len(got) != tc.count || got[len(got)-1] != last.UnixMilli() || !slices.IsSorted(got) {
					t.Fatalf("got %d candles ending %d, want %d ending %d", len(got), got[len(got)-1], tc.count, last.UnixMilli())
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("opens\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestKlinesErrors(t *testing.T) {
	s, _ := newTest(t)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	days := func(n int) string { return msq(start.Add(time.Duration(n) * 24 * time.Hour)) }
	tests := []struct {
		name   string
		path   string
		status int
		code   int // 0: success expected
	}{
		{"spot limit 1001", "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001", 400, -1130},
		{"spot limit 0", "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=0", 400, -1130},
		{"spot limit negative", "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=-5", 400, -1130},
		{"usdm limit 1500 ok", "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1500", 200, 0},
		{"usdm limit 1501", "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1501", 400, -1130},
		{"coinm limit 1501", "/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1m&limit=1501", 400, -1130},
		{"unknown symbol", "/api/v3/klines?symbol=NOPEUSDT&interval=1m", 400, -1121},
		{"spot symbol on coinm", "/dapi/v1/klines?symbol=BTCUSDT&interval=1m", 400, -1121},
		{"unknown interval", "/api/v3/klines?symbol=BTCUSDT&interval=2m", 400, -1120},
		{"1s on spot ok", "/api/v3/klines?symbol=BTCUSDT&interval=1s&limit=5", 200, 0},
		{"1s on usdm", "/fapi/v1/klines?symbol=BTCUSDT&interval=1s", 400, -1120},
		{"1s on coinm", "/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1s", 400, -1120},
		{"missing symbol", "/api/v3/klines?interval=1m", 400, -1102},
		{"empty symbol", "/fapi/v1/klines?symbol=&interval=1m", 400, -1102},
		{"missing interval", "/api/v3/klines?symbol=BTCUSDT", 400, -1102},
		{"bad startTime", "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=yesterday", 400, -1100},
		{"start after end", "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=" + days(2) + "&endTime=" + days(1), 400, -1127},
		{"coinm 200 days ok", "/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1d&startTime=" + days(0) + "&endTime=" + days(200), 200, 0},
		{"coinm 201 days", "/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1d&startTime=" + days(0) + "&endTime=" + days(201), 400, -1127},
		{"coinm start only is unlimited", "/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1d&startTime=0", 200, 0},
		{"usdm 201 days ok", "/fapi/v1/klines?symbol=BTCUSDT&interval=1d&startTime=" + days(0) + "&endTime=" + days(201), 200, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, s, tc.path)
			if tc.code == 0 {
				if r.status != tc.status {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				parseKlines(t, r.body)
				return
			}
			wantError(t, r, tc.status, tc.code)
		})
	}
}

func TestNotFound(t *testing.T) {
	s, _ := newTest(t)
	for _, p := range []string{"/", "/api/v3/trades", "/api/v1/klines", "/fapi/v1/klinesX"} {
		if r := get(t, s, p); r.status != 404 {
			t.Errorf("%s: status %d", p, r.status)
		}
	}
	res, err := client.Post(s.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("POST klines: status %d", res.StatusCode)
	}
}

func TestOpenCandle(t *testing.T) {
	s, _ := newTest(t)
	now := testNow.UnixMilli()
	for _, m := range []struct {
		market Market
		path   string
	}{{Spot, "/api/v3/klines?symbol=ETHUSDT"}, {USDM, "/fapi/v1/klines?symbol=ETHUSDT"}, {COINM, "/dapi/v1/klines?symbol=ETHUSD_PERP"}} {
		for _, iv := range []string{"1m", "1h", "1d", "1w", "1M"} {
			t.Run(fmt.Sprint(m.market, iv), func(t *testing.T) {
				r := get(t, s, m.path+"&interval="+iv+"&limit=3")
				ks := parseKlines(t, r.body)
				lastK := ks[len(ks)-1]
				if !(lastK.OpenTime <= now && lastK.CloseTime >= now) {
					t.Fatalf("last candle %d..%d does not contain now %d", lastK.OpenTime, lastK.CloseTime, now)
				}
				checkSanity(t, ks)
				if again := parseKlines(t, get(t, s, m.path+"&interval="+iv+"&limit=3").body); again[2] != lastK {
					t.Fatalf("open candle not deterministic: %+v vs %+v", again[2], lastK)
				}
				sym := map[Market]string{Spot: "ETHUSDT", USDM: "ETHUSDT", COINM: "ETHUSD_PERP"}[m.market]
				exp := s.Klines(m.market, sym, iv, time.UnixMilli(ks[0].OpenTime), testNow.Add(time.Hour))
				if !slices.Equal(exp, ks[:2]) {
					t.Fatalf("Klines() = %+v, want the two closed candles %+v", exp, ks[:2])
				}
			})
		}
	}
}

func TestListingAndGaps(t *testing.T) {
	listing := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	s, _ := newTest(t,
		WithSymbols(Spot, map[string]time.Time{"NEWUSDT": listing}),
		WithGap(Spot, "NEWUSDT", listing.Add(2*time.Hour), listing.Add(150*time.Minute)),                          // 12:00-12:30
		WithGap(Spot, "NEWUSDT", listing.Add(4*time.Hour+30*time.Second), listing.Add(4*time.Hour+5*time.Minute)), // 14:00:30-14:05
	)
	d := func(h, m int) int64 { return time.Date(2024, 3, 1, h, m, 0, 0, time.UTC).UnixMilli() }
	k := "/api/v3/klines?symbol=NEWUSDT"
	tests := []struct {
		name  string
		query string
		want  []int64
	}{
		{"first minute is listing", "&interval=1m&startTime=0&limit=2", []int64{d(10, 0), d(10, 1)}},
		{"first day contains listing", "&interval=1d&startTime=0&limit=1", []int64{d(0, 0)}},
		{"first month contains listing", "&interval=1M&startTime=0&limit=1", []int64{d(0, 0)}},
		{"end before listing", "&interval=1m&endTime=" + fmt.Sprint(d(9, 59)), []int64{}},
		{"end only stops at listing", "&interval=1h&endTime=" + fmt.Sprint(d(11, 0)), []int64{d(10, 0), d(11, 0)}},
		{"forward over gap", "&interval=1m&startTime=" + fmt.Sprint(d(11, 58)) + "&limit=4", []int64{d(11, 58), d(11, 59), d(12, 30), d(12, 31)}},
		{"backward over gap", "&interval=1m&endTime=" + fmt.Sprint(d(12, 30)) + "&limit=3", []int64{d(11, 58), d(11, 59), d(12, 30)}},
		{"inside gap only", "&interval=1m&startTime=" + fmt.Sprint(d(12, 5)) + "&endTime=" + fmt.Sprint(d(12, 29)), []int64{}},
		{"hourly candle opening in gap", "&interval=1h&startTime=" + fmt.Sprint(d(11, 0)) + "&limit=3", []int64{d(11, 0), d(13, 0), d(14, 0)}},
		{"unaligned gap forward", "&interval=1m&startTime=" + fmt.Sprint(d(13, 59)) + "&limit=3", []int64{d(13, 59), d(14, 0), d(14, 5)}},
		{"unaligned gap backward", "&interval=1m&endTime=" + fmt.Sprint(d(14, 5)) + "&limit=3", []int64{d(13, 59), d(14, 0), d(14, 5)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, s, k+tc.query)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if got := opens(parseKlines(t, r.body)); !slices.Equal(got, tc.want) {
				t.Fatalf("opens\n got %v\nwant %v", got, tc.want)
			}
		})
	}
	// Default symbols are gone from a market whose symbols were replaced.
	wantError(t, get(t, s, "/api/v3/klines?symbol=BTCUSDT&interval=1m"), 400, -1121)
	// ...but remain on the others.
	if r := get(t, s, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1"); r.status != 200 {
		t.Fatalf("usdm BTCUSDT: %d", r.status)
	}
	// Klines() honours listing and gaps too.
	got := opens(s.Klines(Spot, "NEWUSDT", "1m", listing.Add(-time.Hour), listing.Add(3*time.Hour)))
	if len(got) != 180-30 || got[0] != d(10, 0) || slices.Contains(got, d(12, 0)) || got[len(got)-1] != d(12, 59) {
		t.Fatalf("Klines over listing and gap: %d candles from %d to %d", len(got), got[0], got[len(got)-1])
	}
}
