package collector_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// Without --start and with nothing stored, a series starts at the candle
// open at end - lookback, or earlier so that it gets at least the last
// closed candle: a 6h lookback still stores yesterday's daily candle,
// last week's (weeks open on Mondays) and last month's. now is Friday
// 2024-03-15 12:34:56.
func TestPlanLookbackStartsOnTheGridWithTheLastClosedCandle(t *testing.T) {
	at := func(s string) int64 {
		t.Helper()
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	for _, tc := range []struct {
		iv             transform.Interval
		lookback       time.Duration
		end            string // --end, "" for now
		start, wantEnd string
	}{
		{"1m", 24 * time.Hour, "", "2024-03-14T12:34:00Z", "2024-03-15T12:35:00Z"},
		{"1h", 24 * time.Hour, "", "2024-03-14T12:00:00Z", "2024-03-15T13:00:00Z"},
		{"1h", 6 * time.Hour, "", "2024-03-15T06:00:00Z", "2024-03-15T13:00:00Z"},
		{"1h", 10 * time.Minute, "", "2024-03-15T11:00:00Z", "2024-03-15T13:00:00Z"},
		{"1d", 24 * time.Hour, "", "2024-03-14T00:00:00Z", "2024-03-16T00:00:00Z"},
		{"1d", 6 * time.Hour, "", "2024-03-14T00:00:00Z", "2024-03-16T00:00:00Z"},
		{"1d", 72 * time.Hour, "", "2024-03-12T00:00:00Z", "2024-03-16T00:00:00Z"},
		{"1w", 6 * time.Hour, "", "2024-03-04T00:00:00Z", "2024-03-18T00:00:00Z"},
		{"1w", 30 * 24 * time.Hour, "", "2024-02-12T00:00:00Z", "2024-03-18T00:00:00Z"},
		{"1M", 6 * time.Hour, "", "2024-02-01T00:00:00Z", "2024-04-01T00:00:00Z"},
		{"1M", 24 * time.Hour, "", "2024-02-01T00:00:00Z", "2024-04-01T00:00:00Z"},
		{"1M", 60 * 24 * time.Hour, "", "2024-01-01T00:00:00Z", "2024-04-01T00:00:00Z"},
		// An --end in the past: the last candle closed before it.
		{"1d", 6 * time.Hour, "2024-03-01T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"},
		{"1d", 6 * time.Hour, "2024-03-01T12:00:00Z", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z"},
		{"1M", 6 * time.Hour, "2024-03-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"},
		{"1w", 6 * time.Hour, "2024-03-11T00:00:00Z", "2024-03-04T00:00:00Z", "2024-03-11T00:00:00Z"},
	} {
		req := spotReq(time.Time{}, time.Time{}, []string{"BTCUSDT"}, tc.iv)
		req.Lookback = tc.lookback
		if tc.end != "" {
			req.End = time.UnixMilli(at(tc.end)).UTC()
		}
		tasks := collector.Plan(req, now)
		if len(tasks) != 1 {
			t.Fatalf("%d tasks", len(tasks))
		}
		got := tasks[0]
		if got.Start != at(tc.start) || got.End != at(tc.wantEnd) || got.From != collector.FromLake {
			t.Errorf("%s lookback %s end %q: [%s, %s) from %s, want [%s, %s) from the lake", tc.iv, tc.lookback, tc.end,
				time.UnixMilli(got.Start).UTC().Format(time.RFC3339), time.UnixMilli(got.End).UTC().Format(time.RFC3339), got.From, tc.start, tc.wantEnd)
		}
	}
}

// The planner reads nothing; each task finds where its series left off
// when it starts, so an unreadable file fails that task alone, naming the
// file and the reason, and the other series are collected.
func TestUnreadableFileFailsOnlyItsTask(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	okResults(t, e.run(t, ctx, spotReq(day("2024-03-14"), day("2024-03-15"), []string{"BTCUSDT", "ETHUSDT"}, "1h"), collector.ClientOptions{}))
	bad := "silver/klines/market=spot/interval=1h/symbol=ETHUSDT/2024.parquet"
	if err := os.WriteFile(filepath.Join(e.dir, bad), []byte("PAR1 but not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := e.run(t, ctx, spotReq(time.Time{}, time.Time{}, []string{"BTCUSDT", "ETHUSDT"}, "1h"), collector.ClientOptions{})
	if len(res) != 2 {
		t.Fatalf("%d results", len(res))
	}
	btc, eth := res[0], res[1]
	if btc.Err != nil || btc.Task.From != collector.FromResume || btc.Task.Start != day("2024-03-15").UnixMilli() || btc.Fetched != 12 {
		t.Errorf("BTCUSDT: %s from %s at %d, %d candles, err %v; want resumed at 2024-03-15", btc.Status, btc.Task.From, btc.Task.Start, btc.Fetched, btc.Err)
	}
	if eth.Status != collector.StatusFailed || eth.Err == nil || !strings.Contains(eth.Err.Error(), bad) || !strings.Contains(eth.Err.Error(), "footer") {
		t.Errorf("ETHUSDT: %s %v; want failed naming %s and the reason", eth.Status, eth.Err, bad)
	}
	if eth.Fetched != 0 || len(eth.Files) != 0 {
		t.Errorf("ETHUSDT fetched %d and wrote %v after failing to read its lake", eth.Fetched, eth.Files)
	}
}
