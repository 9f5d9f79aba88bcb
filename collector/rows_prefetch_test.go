package collector

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// TestRowsAhead: the next file downloads in the background and is handed
// over whole; a download nobody takes (the run stopped) is cancelled and
// its temporary file removed, also while its request is still pending.
func TestRowsAhead(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	day := func(d int) ArchiveFile {
		return ArchiveFile{Data: transform.TradesData, Market: Spot, Symbol: "BTCUSDT", Daily: true, Date: time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC)}
	}
	fake := binancetest.New(binancetest.WithClock(func() time.Time { return time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC) }),
		binancetest.WithTrades(binancetest.Spot, 20, "BTCUSDT"))
	defer fake.Close()
	held := binancetest.TradesArchivePath(binancetest.Spot, "BTCUSDT", false, true, day(3).Date)
	gate := fake.Hold(func(r *http.Request) bool { return r.URL.Path == held })
	defer gate.Release()
	r := &Runner{Archive: NewArchiveSource(fake.URL(), NewArchiveHTTPClient(ClientOptions{Retry: RetryPolicy{Attempts: 2, RequestTimeout: time.Minute}}), nil)}
	ctx := context.Background()
	temps := func() []string {
		names, _ := filepath.Glob(filepath.Join(tmp, downloadTempPrefix+"*"))
		return names
	}

	// Day 1 ahead, taken: a complete, hashed download.
	next := day(1)
	ahead := &rowsAhead{ctx: ctx, next: &next}
	ahead.start(r)
	if got, err := ahead.take(ctx, day(2)); got != nil || err != nil {
		t.Fatalf("took day 1's download for day 2: %v, %v", got, err)
	}
	got, err := ahead.take(ctx, day(1))
	if err != nil || got == nil {
		t.Fatalf("day 1 ahead: %v", err)
	}
	if err := got.dl.Verify(got.want); err != nil {
		t.Fatal(err)
	}
	got.dl.Close()

	// Day 3 ahead, its request parked at the fake, then the run stops.
	next = day(3)
	ahead.start(r)
	<-gate.Arrived(1)
	if n := len(temps()); n != 1 {
		t.Fatalf("%d temporary files during day 3's download, want 1", n)
	}
	done := make(chan struct{})
	go func() { ahead.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("close did not stop a pending download")
	}
	if left := temps(); len(left) != 0 {
		t.Errorf("temporary files left: %s", strings.Join(left, ", "))
	}
}
