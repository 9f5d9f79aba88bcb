package collector_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// TestAutoBackfillEqualsREST backfills months through the archive and the
// same range through REST only: the lakes must hold identical candles.
func TestAutoBackfillEqualsREST(t *testing.T) {
	for _, tc := range []struct {
		m     collector.Market
		sym   string
		iv    transform.Interval
		start time.Time
		// monthly and daily zips expected in auto mode
		monthly, daily int
	}{
		// Dec 20-31 daily, Jan and Feb monthly, Mar 1-14 daily, Mar 15 REST.
		{collector.Spot, "BTCUSDT", "1m", day("2023-12-20"), 2, 26},
		{collector.USDM, "ETHUSDT", "1h", day("2023-11-01"), 4, 14},
		{collector.COINM, "BTCUSD_PERP", "1d", day("2023-10-01"), 5, 14},
		{collector.Spot, "ETHUSDT", "1M", day("2023-01-01"), 14, 0},
	} {
		t.Run(string(tc.m)+"/"+string(tc.iv), func(t *testing.T) {
			ctx := context.Background()
			req := collector.Request{Market: tc.m, Symbols: []string{tc.sym}, Intervals: []transform.Interval{tc.iv}, Start: tc.start}
			auto, api := newEnv(t), newEnv(t)
			resAuto := auto.runArchive(t, ctx, archiveRun{req: req, mode: collector.SourceAuto})
			okResults(t, resAuto)
			okResults(t, api.runArchive(t, ctx, archiveRun{req: req, mode: collector.SourceAPI}))
			got := auto.stored(t, tc.m, tc.sym, string(tc.iv))
			sameKlines(t, got, api.stored(t, tc.m, tc.sym, string(tc.iv)))
			sameKlines(t, got, auto.expected(t, tc.m, tc.sym, string(tc.iv), tc.start, now))
			r := resAuto[0]
			if m, d := countKind(r, collector.SegmentMonthly), countKind(r, collector.SegmentDaily); m != tc.monthly || d != tc.daily {
				t.Errorf("served by %d monthly and %d daily zips, want %d and %d: %v", m, d, tc.monthly, tc.daily, segmentKinds(r))
			}
			if r.Fetched != len(got) || r.Added != len(got) {
				t.Errorf("fetched %d added %d, stored %d", r.Fetched, r.Added, len(got))
			}
		})
	}
}

// TestTimeUnitsAndHeaders reads spot files in ms (2024) and in µs (2025) and
// futures files without and with a header row: all give the REST candles.
func TestTimeUnitsAndHeaders(t *testing.T) {
	for _, tc := range []struct {
		name       string
		m          collector.Market
		sym        string
		start, end time.Time
		clock      time.Time
	}{
		{"spot ms to us", collector.Spot, "BTCUSDT", day("2024-11-28"), day("2025-01-03"), day("2025-01-04")},
		{"usdm no header to header", collector.USDM, "BTCUSDT", day("2021-11-29"), day("2022-01-02"), day("2022-01-05")},
		{"coinm no header to header", collector.COINM, "ETHUSD_PERP", day("2021-12-30"), day("2022-02-02"), day("2022-03-05")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newArchiveEnv(t, tc.clock)
			req := collector.Request{Market: tc.m, Symbols: []string{tc.sym}, Intervals: []transform.Interval{"5m"}, Start: tc.start, End: tc.end}
			res := e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceArchive, clock: tc.clock})
			okResults(t, res)
			sameKlines(t, e.stored(t, tc.m, tc.sym, "5m"), e.expected(t, tc.m, tc.sym, "5m", tc.start, tc.end))
			if n := e.restCalls(); n != 0 {
				t.Errorf("--source archive made %d REST calls", n)
			}
			if !slices.Contains(segmentKinds(res[0]), collector.SegmentMonthly) || !slices.Contains(segmentKinds(res[0]), collector.SegmentDaily) {
				t.Errorf("want monthly and daily files, got %v", segmentKinds(res[0]))
			}
		})
	}
}
