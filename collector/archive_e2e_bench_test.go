package collector_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// BenchmarkArchiveYear is the whole archive path in one process: a year of
// 1m BTCUSDT (12 monthly zips of 2024, 527,040 rows) downloaded from the
// fake over loopback, checked against its CHECKSUM, inflated, parsed,
// validated, built into Arrow, merged and written as Parquet zstd into an
// empty local lake. The fake builds its zips before the timer starts.
func BenchmarkArchiveYear(b *testing.B) {
	clock := day("2025-01-05")
	e := newArchiveEnv(b, clock)
	req := collector.Request{Market: collector.Spot, Symbols: []string{"BTCUSDT"}, Intervals: []transform.Interval{"1m"}, Start: day("2024-01-01"), End: day("2025-01-01")}
	ctx := context.Background()
	okResults(b, e.runArchive(b, ctx, archiveRun{req: req, mode: collector.SourceArchive, clock: clock})) // warms the fake's zip cache
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		b.StopTimer()
		e.reset(b)
		b.StartTimer()
		res := e.runArchive(b, ctx, archiveRun{req: req, mode: collector.SourceArchive, clock: clock})
		okResults(b, res)
		rows = res[0].Added
	}
	if rows != 527_040 {
		b.Fatalf("%d rows added, want 527040", rows)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// reset empties the lake.
func (e *env) reset(tb testing.TB) {
	tb.Helper()
	if err := os.RemoveAll(filepath.Join(e.dir, "silver")); err != nil {
		tb.Fatal(err)
	}
}
