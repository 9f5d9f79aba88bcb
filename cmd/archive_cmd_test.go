package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestArchiveFlagsBadInputExit2(t *testing.T) {
	fake := newFake(t)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown source", []string{"--source", "ftp"}, nil, `unknown --source "ftp"`},
		{"bad archive url", []string{"--binance-archive-url", "data.binance.vision"}, nil, `bad URL "data.binance.vision" for --binance-archive-url`},
		{"zero downloads", []string{"--download-concurrency", "0"}, nil, "--download-concurrency 0"},
		{"keep raw with api", []string{"--keep-raw", "--source", "api"}, nil, "--keep-raw stores archive zips"},
		{"source from env", nil, map[string]string{"LAKEHOUSE_SOURCE": "rest"}, `unknown --source "rest"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "lake")
			args := append([]string{"collect", "--symbols", "BTCUSDT", "--output", dir, "--binance-api-url", fake.URL()}, tc.args...)
			before := total(fake.Stats().Requests)
			r := run(t, tc.env, args...)
			if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want 2 and %q on one line", r.code, r.err, tc.want)
			}
			if total(fake.Stats().Requests) != before {
				t.Error("bad input reached Binance")
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Error("bad input created the output")
			}
		})
	}
}

// TestArchiveOnlyRun: --source archive stores past days from zips (kept
// under bronze/ with --keep-raw) and makes no REST call at all.
func TestArchiveOnlyRun(t *testing.T) {
	fake := newFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	env := map[string]string{"LAKEHOUSE_BINANCE_ARCHIVE_URL": fake.URL(), "LAKEHOUSE_SOURCE": "archive"}
	r := run(t, env, "collect", "--symbols", "ETHUSDT", "--timeframes", "1h", "--start", "2024-02-27", "--output", dir, "--keep-raw", "--summary", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	for path, n := range fake.Stats().Requests {
		if !strings.HasPrefix(path, "/data/") {
			t.Errorf("REST call %s x%d with --source archive", path, n)
		}
	}
	for _, f := range []string{"silver/klines/market=spot/interval=1h/symbol=ETHUSDT/2024.parquet", "bronze/klines/market=spot/interval=1h/symbol=ETHUSDT/ETHUSDT-1h-2024-02-27.zip", "bronze/klines/market=spot/interval=1h/symbol=ETHUSDT/ETHUSDT-1h-2024-03-14.zip.CHECKSUM"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(r.out, `"rows_added": 408`) { // Feb 27 .. Mar 14: 17 days of 24 candles
		t.Errorf("summary: %s", r.out)
	}
}
