package collector_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// TestDamagedArchiveFiles: a damaged file is downloaded twice, then fails
// with an error naming its URL (and both digests for a mismatch); nothing
// of its period is written while the other months are; a file damaged only
// once is fine after the retry.
func TestDamagedArchiveFiles(t *testing.T) {
	jan := binancetest.ArchivePath(binancetest.Spot, "BTCUSDT", "5m", false, day("2024-01-01"))
	for _, tc := range []struct {
		name    string
		fault   binancetest.ArchiveFault
		times   int
		wantErr []string // empty: the retry heals it
	}{
		{"corrupt zip, good checksum", binancetest.ArchiveCorruptZip, 2, []string{"unreadable", jan}},
		{"truncated zip", binancetest.ArchiveTruncatedZip, 2, []string{"checksum mismatch", jan}},
		{"wrong checksum", binancetest.ArchiveBadChecksum, 2, []string{"checksum mismatch", jan}},
		{"corrupt csv row", binancetest.ArchiveCorruptRow, 2, []string{"unreadable", "line ", jan}},
		{"corrupt once", binancetest.ArchiveCorruptZip, 1, nil},
		{"truncated once", binancetest.ArchiveTruncatedZip, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.InjectArchive(jan, tc.times, tc.fault)
			start := day("2023-12-01")
			req := spotReq(start, day("2024-03-01"), []string{"BTCUSDT"}, "5m")
			res := e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceAuto})
			// Damaged once or for good, the zip is downloaded exactly twice.
			if got := e.fake.Stats().Requests[jan]; got != 2 {
				t.Errorf("zip downloaded %d times, want 2", got)
			}
			janFile := filepath.Join(e.dir, "silver/klines/market=spot/interval=5m/symbol=BTCUSDT/2024-01.parquet")
			_, statErr := os.Stat(janFile)
			if tc.wantErr == nil {
				okResults(t, res)
				sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "5m"), e.expected(t, collector.Spot, "BTCUSDT", "5m", start, day("2024-03-01")))
				return
			}
			r := res[0]
			t.Log(r.Err)
			if r.Status != collector.StatusFailed || r.Err == nil {
				t.Fatalf("task %s, err %v; want failed", r.Status, r.Err)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(r.Err.Error(), e.fake.URL()+want) && !strings.Contains(r.Err.Error(), want) {
					t.Errorf("error %q does not mention %q", r.Err, want)
				}
			}
			var ae *collector.ArchiveError
			if !errors.As(r.Err, &ae) || ae.Attempts != 2 {
				t.Errorf("want an ArchiveError after 2 attempts, got %#v", ae)
			} else if tc.fault != binancetest.ArchiveCorruptZip && tc.fault != binancetest.ArchiveCorruptRow && (ae.Want == ae.Got || ae.Got == "") {
				t.Errorf("mismatch error lacks both digests: want %q got %q", ae.Want, ae.Got)
			}
			if !os.IsNotExist(statErr) {
				t.Errorf("the failed month was written: %v", statErr)
			}
			// December and February are intact.
			want := append(e.expected(t, collector.Spot, "BTCUSDT", "5m", start, day("2024-01-01")),
				e.expected(t, collector.Spot, "BTCUSDT", "5m", day("2024-02-01"), day("2024-03-01"))...)
			sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "5m"), want)
		})
	}
}

// TestMissingArchiveFiles: a missing monthly zip is served by its daily
// zips; a missing day by REST in auto mode and not at all (reported) with
// --source archive; transport failures are retried by the HTTP client.
func TestMissingArchiveFiles(t *testing.T) {
	feb := binancetest.ArchivePath(binancetest.Spot, "ETHUSDT", "15m", false, day("2024-02-01"))
	feb10 := binancetest.ArchivePath(binancetest.Spot, "ETHUSDT", "15m", true, day("2024-02-10"))
	start, end := day("2024-01-01"), day("2024-03-01")
	for _, tc := range []struct {
		name   string
		mode   collector.SourceMode
		inject func(*binancetest.Server)
		daily  int
		rest   bool // REST served part of the range
		gap    bool // Feb 10 not stored
	}{
		{"monthly missing", collector.SourceAuto, func(f *binancetest.Server) { f.InjectArchive(feb, -1, binancetest.ArchiveMissing) }, 29, false, false},
		{"monthly and a day missing", collector.SourceAuto, func(f *binancetest.Server) {
			f.InjectArchive(feb, -1, binancetest.ArchiveMissing)
			f.InjectArchive(feb10, -1, binancetest.ArchiveMissing)
		}, 28, true, false},
		{"archive only, day missing", collector.SourceArchive, func(f *binancetest.Server) {
			f.InjectArchive(feb, -1, binancetest.ArchiveMissing)
			f.InjectArchive(feb10, -1, binancetest.ArchiveMissing)
		}, 28, false, true},
		{"server errors and drops", collector.SourceAuto, func(f *binancetest.Server) {
			f.Inject(feb, 2, binancetest.Status5xx(503))
			f.Inject(feb+".CHECKSUM", 1, binancetest.Drop())
			f.Inject(feb, 1, binancetest.Truncate())
		}, 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.inject(e.fake)
			req := spotReq(start, end, []string{"ETHUSDT"}, "15m")
			res := e.runArchive(t, context.Background(), archiveRun{req: req, mode: tc.mode})
			okResults(t, res)
			want := e.expected(t, collector.Spot, "ETHUSDT", "15m", start, end)
			if tc.gap {
				var kept []transform.Kline
				for _, k := range want {
					if k.OpenTime < day("2024-02-10").UnixMilli() || k.OpenTime >= day("2024-02-11").UnixMilli() {
						kept = append(kept, k)
					}
				}
				want = kept
				if countKind(res[0], collector.SegmentUnpublished) != 1 {
					t.Errorf("the missing day is not reported: %v", segmentKinds(res[0]))
				}
			}
			sameKlines(t, e.stored(t, collector.Spot, "ETHUSDT", "15m"), want)
			if got := countKind(res[0], collector.SegmentDaily); got != tc.daily {
				t.Errorf("%d daily zips, want %d: %v", got, tc.daily, segmentKinds(res[0]))
			}
			if got := e.restCalls() > 0; got != tc.rest {
				t.Errorf("REST used: %v, want %v", got, tc.rest)
			}
		})
	}
}

// TestArchiveWriteBehindFailure: monthly files are written behind the
// task; a month whose write fails fails the task with that file's error,
// while the months around it are stored complete.
func TestArchiveWriteBehindFailure(t *testing.T) {
	clock := day("2024-06-05")
	e := newArchiveEnv(t, clock)
	req := collector.Request{Market: collector.Spot, Symbols: []string{"BTCUSDT"}, Intervals: []transform.Interval{"30m"}, Start: day("2024-01-01"), End: day("2024-04-01")}
	res := e.runArchive(t, context.Background(), archiveRun{req: req, mode: collector.SourceArchive, clock: clock, sink: failingSink{Sink: e.store, fail: func(k storage.Key) bool { return k.Period == "2024-02" }}})
	r := res[0]
	if r.Status != collector.StatusFailed || r.Err == nil || !errors.Is(r.Err, fs.ErrPermission) || !strings.Contains(r.Err.Error(), "2024-02.parquet") {
		t.Fatalf("status %s, err %v; want failed with the 2024-02 file's error", r.Status, r.Err)
	}
	if len(r.Files) != 2 || !strings.HasSuffix(r.Files[0], "2024-01.parquet") || !strings.HasSuffix(r.Files[1], "2024-03.parquet") {
		t.Fatalf("files %v, want 2024-01 and 2024-03 in order", r.Files)
	}
	want := append(e.expected(t, collector.Spot, "BTCUSDT", "30m", day("2024-01-01"), day("2024-02-01")),
		e.expected(t, collector.Spot, "BTCUSDT", "30m", day("2024-03-01"), day("2024-04-01"))...)
	sameKlines(t, e.stored(t, collector.Spot, "BTCUSDT", "30m"), want)
	if r.Added != len(want) {
		t.Errorf("added %d, want %d", r.Added, len(want))
	}
}
