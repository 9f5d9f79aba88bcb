package collector_test

import (
	"context"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
)

// TestOneYearFromArchive backfills a year of 1m candles (525,600 from the
// archive) plus today: REST is asked only about today.
func TestOneYearFromArchive(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a year of 1m candles (about 30 s; minutes under -race): run without -short and -race")
	}
	e := newEnv(t)
	start := day("2023-03-16") // 365 archived days before today (2024-03-15)
	req := spotReq(start, time.Time{}, []string{"BTCUSDT"}, "1m")
	res := e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceAuto})
	okResults(t, res)
	today := int(now.Sub(day("2024-03-15")) / time.Minute) // closed candles of today
	if r := res[0]; r.Fetched != 525_600+today || r.Added != r.Fetched {
		t.Fatalf("fetched %d, added %d; want %d", r.Fetched, r.Added, 525_600+today)
	}
	st := e.fake.Stats()
	if got := st.Requests["/api/v3/klines"]; got != 1 {
		t.Errorf("%d REST kline requests, want 1 (today)", got)
	}
	if m, d := countKind(res[0], collector.SegmentMonthly), countKind(res[0], collector.SegmentDaily); m != 11 || d != 30 {
		t.Errorf("%d monthly and %d daily zips, want 11 and 30", m, d)
	}
	// Spot-check the boundaries against the REST data.
	got := e.stored(t, collector.Spot, "BTCUSDT", "1m")
	for _, r := range [][2]time.Time{{start, start.Add(time.Hour)}, {day("2023-12-31"), day("2024-01-01").Add(time.Hour)}, {now.Add(-time.Hour), now}} {
		want := e.expected(t, collector.Spot, "BTCUSDT", "1m", r[0], r[1])
		i := int((want[0].OpenTime - start.UnixMilli()) / time.Minute.Milliseconds())
		sameKlines(t, got[i:i+len(want)], want)
	}
}
