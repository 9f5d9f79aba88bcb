package binancetest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

func TestDebugStatsServesStatsReadOnly(t *testing.T) {
	s, _ := newTest(t, WithWeightLimit(Spot, 4))
	for _, p := range []string{"/api/v3/ping", "/api/v3/klines?symbol=BTCUSDT&interval=1m", "/api/v3/time", "/api/v3/time"} {
		get(t, s, p) // weights 1+2+1 = 4, then a 429
	}
	before := s.Stats()
	r := get(t, s, debugStatsPath)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got Stats
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if !reflect.DeepEqual(got, before) {
		t.Fatalf("served %+v, Stats() %+v", got, before)
	}
	if got.TooMany != 1 || !reflect.DeepEqual(got.WeightPerWindow[Spot], []int{5}) {
		t.Fatalf("TooMany %d, spot weights %v; want 1 and [5]", got.TooMany, got.WeightPerWindow[Spot])
	}
	// Reading the stats is neither counted nor charged.
	if after := s.Stats(); !reflect.DeepEqual(after, before) {
		t.Fatalf("stats changed by reading them: %+v -> %+v", before, after)
	}
	res, err := client.Post(s.URL()+debugStatsPath, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: status %d, want 405", res.StatusCode)
	}
}
