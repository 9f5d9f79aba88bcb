package cmd

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
)

// TestConcurrentCollectsToS3 runs two lakehouse processes at once over
// overlapping ranges into the same files: conditional writes and re-merges
// must leave every candle stored exactly once.
func TestConcurrentCollectsToS3(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	lake := newS3Lake(t)
	fake := newFake(t)
	bin := buildLakehouse(t)
	ranges := [][2]string{{"2024-02-01", "2024-02-20"}, {"2024-02-10", "2024-03-01"}}
	var wg sync.WaitGroup
	stderr := make([]bytes.Buffer, len(ranges))
	errs := make([]error, len(ranges))
	for i, r := range ranges {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"collect", "--symbols", "BTCUSDT,ETHUSDT", "--timeframes", "1m,5m", "--start", r[0], "--end", r[1],
				"--source", "api", "--binance-api-url", fake.URL(), "--log-level", "debug"}, lake.flags(lake.endpoint)...)
			cmd := exec.Command(bin, args...)
			cmd.Env = os.Environ()
			cmd.Stderr = &stderr[i]
			errs[i] = cmd.Run()
		}()
	}
	wg.Wait()
	conflicts := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d (%s..%s): %v\n%s", i, ranges[i][0], ranges[i][1], err, stderr[i].String())
		}
		conflicts += strings.Count(stderr[i].String(), "changed by another writer")
	}
	t.Logf("write conflicts resolved by re-merging: %d", conflicts)

	start, end := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, sym := range []string{"BTCUSDT", "ETHUSDT"} {
		for _, iv := range []string{"1m", "5m"} {
			key := storage.Key{Dataset: "klines", Market: "spot", Interval: iv, Symbol: sym, Period: "2024-02"}
			got, _ := lake.rows(t, key)
			want := fake.Klines(binancetest.Spot, sym, iv, start, end)
			if len(got) != len(want) {
				t.Fatalf("%s: %d candles, want %d (each exactly once)", key, len(got), len(want))
			}
			for i := range got {
				if got[i].OpenTime != want[i].OpenTime || got[i].Trades != want[i].Trades {
					t.Fatalf("%s row %d: %+v, want %+v", key, i, got[i], want[i])
				}
			}
		}
	}
}
