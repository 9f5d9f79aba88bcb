package binancetest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
)

// The exported surface other packages rely on; a signature change breaks
// this file at compile time.
var (
	_ func(...binancetest.Option) *binancetest.Server                                                         = binancetest.New
	_ func(func() time.Time) binancetest.Option                                                               = binancetest.WithClock
	_ func(binancetest.Market, map[string]time.Time) binancetest.Option                                       = binancetest.WithSymbols
	_ func(binancetest.Market, int) binancetest.Option                                                        = binancetest.WithWeightLimit
	_ func(time.Duration) binancetest.Option                                                                  = binancetest.WithWindow
	_ func(binancetest.Market, string, time.Time, time.Time) binancetest.Option                               = binancetest.WithGap
	_ func(int) binancetest.Option                                                                            = binancetest.WithBanAfter429
	_ func(*binancetest.Server) string                                                                        = (*binancetest.Server).URL
	_ func(*binancetest.Server)                                                                               = (*binancetest.Server).Close
	_ func(*binancetest.Server) http.Handler                                                                  = (*binancetest.Server).Handler
	_ func(*binancetest.Server) binancetest.Stats                                                             = (*binancetest.Server).Stats
	_ func(*binancetest.Server, string, int, binancetest.Fault)                                               = (*binancetest.Server).Inject
	_ func(*binancetest.Server, binancetest.Market, string, string, time.Time, time.Time) []binancetest.Kline = (*binancetest.Server).Klines
	_                                                                                                         = []binancetest.Fault{binancetest.Status429(time.Second), binancetest.Status418(time.Second),
		binancetest.Status5xx(502), binancetest.Slow(time.Millisecond), binancetest.Drop(), binancetest.Truncate()}
	_ = binancetest.Stats{WeightPerWindow: map[binancetest.Market][]int{"spot": nil}}
	_ = binancetest.Kline{0, "1", "2", "0.5", "1.5", "10", 59999, "15", 3, "4", "6"}
)

// TestDefaultsUseRealTime runs the fake with no options at all, as most
// callers will: the newest candle must contain the real current time.
func TestDefaultsUseRealTime(t *testing.T) {
	s := binancetest.New()
	defer s.Close()
	before := time.Now().UnixMilli()
	res, err := http.Get(s.URL() + "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var rows [][]any
	if err := json.Unmarshal(body, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	open, closeT := int64(rows[0][0].(float64)), int64(rows[0][6].(float64))
	if open > time.Now().UnixMilli() || closeT < before {
		t.Fatalf("newest candle %d..%d does not contain now %d", open, closeT, before)
	}
	got := s.Klines(binancetest.Spot, "BTCUSDT", "1m", time.UnixMilli(open), time.UnixMilli(open+60000))
	if time.Now().UnixMilli() <= closeT && len(got) != 0 { // unless the minute just ended
		t.Fatalf("Klines returned the open candle: %+v", got)
	}
}
