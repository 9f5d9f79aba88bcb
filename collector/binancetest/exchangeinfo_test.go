package binancetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func exchangeInfoOf(t *testing.T, r response) exchangeInfo {
	t.Helper()
	var info exchangeInfo
	if r.status != 200 || json.Unmarshal(r.body, &info) != nil {
		t.Fatalf("exchangeInfo: %d %s", r.status, r.body)
	}
	return info
}

func symbolsOf(info exchangeInfo) []string {
	var out []string
	for _, s := range info.Symbols {
		out = append(out, s.Symbol)
	}
	return out
}

func TestExchangeInfo(t *testing.T) {
	s, _ := newTest(t, WithWeightLimit(USDM, 1200))
	spot := exchangeInfoOf(t, get(t, s, "/api/v3/exchangeInfo"))
	wantRL := []rateLimit{
		{"REQUEST_WEIGHT", "MINUTE", 1, 6000},
		{"ORDERS", "SECOND", 10, 100},
		{"ORDERS", "DAY", 1, 200000},
		{"RAW_REQUESTS", "MINUTE", 5, 61000},
	}
	if spot.Timezone != "UTC" || spot.ServerTime != testNow.UnixMilli() || !slices.Equal(spot.RateLimits, wantRL) {
		t.Fatalf("spot info: %+v", spot)
	}
	if got := symbolsOf(spot); !slices.Equal(got, []string{"BNBUSDT", "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"}) {
		t.Fatalf("spot symbols %v", got)
	}
	if b := spot.Symbols[1]; b.BaseAsset != "BTC" || b.QuoteAsset != "USDT" || b.Status != "TRADING" {
		t.Fatalf("BTCUSDT info %+v", b)
	}
	usdm := exchangeInfoOf(t, get(t, s, "/fapi/v1/exchangeInfo"))
	if usdm.RateLimits[0] != (rateLimit{"REQUEST_WEIGHT", "MINUTE", 1, 1200}) || len(usdm.Symbols) != 4 {
		t.Fatalf("usdm info %+v", usdm)
	}
	coinm := exchangeInfoOf(t, get(t, s, "/dapi/v1/exchangeInfo"))
	if c := coinm.Symbols[0]; c.Symbol != "BTCUSD_PERP" || c.BaseAsset != "BTC" || c.QuoteAsset != "USD" ||
		c.OnboardDate != DefaultListing.UnixMilli() || coinm.RateLimits[0].Limit != 2400 {
		t.Fatalf("coinm info %+v", coinm)
	}
	if got := symbolsOf(exchangeInfoOf(t, get(t, s, "/api/v3/exchangeInfo?symbol=ETHUSDT"))); !slices.Equal(got, []string{"ETHUSDT"}) {
		t.Fatalf("?symbol: %v", got)
	}
	if got := symbolsOf(exchangeInfoOf(t, get(t, s, `/api/v3/exchangeInfo?symbols=["SOLUSDT","BTCUSDT"]`))); !slices.Equal(got, []string{"SOLUSDT", "BTCUSDT"}) {
		t.Fatalf("?symbols: %v", got)
	}
	wantError(t, get(t, s, "/api/v3/exchangeInfo?symbol=NOPE"), 400, -1121)
	wantError(t, get(t, s, `/api/v3/exchangeInfo?symbols=["BTCUSDT","NOPE"]`), 400, -1121)
	wantError(t, get(t, s, `/api/v3/exchangeInfo?symbols=BTCUSDT`), 400, -1100)
}

func TestExchangeInfoWindow(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		name string
		num  int
	}{{time.Minute, "MINUTE", 1}, {5 * time.Minute, "MINUTE", 5}, {10 * time.Second, "SECOND", 10}, {100 * time.Millisecond, "SECOND", 1}} {
		s, _ := newTest(t, WithWindow(tc.d))
		rl := exchangeInfoOf(t, get(t, s, "/fapi/v1/exchangeInfo")).RateLimits[0]
		if rl.Interval != tc.name || rl.IntervalNum != tc.num {
			t.Errorf("window %v: %+v", tc.d, rl)
		}
	}
}

func TestPingAndTime(t *testing.T) {
	s, _ := newTest(t)
	for _, p := range []string{"/api/v3", "/fapi/v1", "/dapi/v1"} {
		if r := get(t, s, p+"/ping"); r.status != 200 || string(r.body) != "{}" {
			t.Fatalf("%s/ping: %d %s", p, r.status, r.body)
		}
		var tm struct{ ServerTime int64 }
		if r := get(t, s, p+"/time"); json.Unmarshal(r.body, &tm) != nil || tm.ServerTime != testNow.UnixMilli() {
			t.Fatalf("%s/time: %s", p, r.body)
		}
	}
}
