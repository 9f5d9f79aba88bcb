package collector

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/transform"
)

func TestPlanTimeSegments(t *testing.T) {
	ms := func(s string) int64 { v, _ := time.Parse(time.RFC3339, s); return v.UnixMilli() }
	now := time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)
	task := Task{Dataset: transform.FundingRateData, Market: USDM, Symbol: "BTCUSDT", Start: ms("2023-12-15T00:00:00Z"), End: now.UnixMilli()}
	describe := func(segs []Segment) string {
		var parts []string
		for _, s := range segs {
			p := s.Kind + " " + time.UnixMilli(s.Start).UTC().Format("2006-01-02")
			if s.File != nil {
				p += " " + s.File.Path()
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "; ")
	}
	zip := func(month string) string {
		return " /data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-" + month + ".zip"
	}
	for _, tc := range []struct {
		mode SourceMode
		want string
	}{
		{SourceAuto, "monthly 2023-12-15" + zip("2023-12") + "; monthly 2024-01-01" + zip("2024-01") + "; monthly 2024-02-01" + zip("2024-02") + "; api 2024-03-01"},
		{SourceArchive, "monthly 2023-12-15" + zip("2023-12") + "; monthly 2024-01-01" + zip("2024-01") + "; monthly 2024-02-01" + zip("2024-02") + "; archive-only 2024-03-01"},
		{SourceAPI, "api 2023-12-15"},
	} {
		if got := describe(PlanTask(task, tc.mode, now)); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.mode, got, tc.want)
		}
	}
	if keys := task.Keys(); len(keys) != 2 || keys[0].Period != "2023" || keys[1].Period != "2024" {
		t.Errorf("keys %v, want the 2023 and 2024 files", keys)
	}
}

type countingTransport struct{ n int }

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n++
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("[]")), Header: http.Header{}, Request: req}, nil
}

// TestFundingRatePacing: the fundingRate paths have their own bucket,
// which never lets more than 500 requests through in 5 minutes.
func TestFundingRatePacing(t *testing.T) {
	for path, rule := range endpointLimits {
		l := newWeightLimiter(&countingTransport{}, time.Minute)
		p := l.pacer("fapi.binance.com", path)
		if p == nil {
			t.Fatalf("%s: no pacer", path)
		}
		if most := float64(p.Burst()) + float64(p.Limit())*rule.window.Seconds(); most > float64(rule.limit) {
			t.Errorf("%s: up to %.0f requests in %s, limit %d", path, most, rule.window, rule.limit)
		}
		for range endpointBurst {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://fapi.binance.com"+path+"?symbol=BTCUSDT", nil)
			if _, err := l.RoundTrip(req); err != nil {
				t.Fatal(err)
			}
		}
		if tokens := p.Tokens(); tokens >= 1 {
			t.Errorf("%s: %.2f requests left after the burst", path, tokens)
		}
	}
	if l := newWeightLimiter(&countingTransport{}, time.Minute); l.pacer("fapi.binance.com", "/fapi/v1/klines") != nil {
		t.Error("klines paced by an endpoint limit")
	}
}
