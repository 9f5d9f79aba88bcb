package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLegacyMonthlyFolder: a lake from an older lakehouse keeps its
// monthly candles under interval=1M. verify reports the folder and the
// command that moves it (exit 1), inventory warns, collect leaves that
// series alone with the same command while the others run, and once the
// command has run everything is back: nothing was lost.
func TestLegacyMonthlyFolder(t *testing.T) {
	dir := t.TempDir()
	fake := newFake(t)
	collect := func(start string) result {
		return run(t, nil, "collect", "--symbols", "BTCUSDT", "--timeframes", "1h,1M", "--start", start, "--end", "2024-03-10",
			"--output", dir, "--binance-api-url", fake.URL(), "--source", "api")
	}
	if r := collect("2023-01-01"); r.code != ExitOK {
		t.Fatalf("collect: %d %s %s", r.code, r.out, r.err)
	}
	market := filepath.Join(dir, "silver/klines/market=spot")
	if _, err := os.Stat(filepath.Join(market, "interval=1mo/symbol=BTCUSDT/2023.parquet")); err != nil {
		t.Fatalf("monthly candles not under interval=1mo: %v", err)
	}
	// What an older version wrote.
	if err := os.Rename(filepath.Join(market, "interval=1mo"), filepath.Join(market, "interval=1M")); err != nil {
		t.Fatal(err)
	}

	r := run(t, nil, "verify", "--output", dir)
	if r.code != ExitFailed || !strings.Contains(r.out, "legacy_folder") {
		t.Fatalf("verify: exit %d, want %d with legacy_folder:\n%s\n%s", r.code, ExitFailed, r.out, r.err)
	}
	move := regexp.MustCompile(`mkdir -p .* && mv -n .*`).FindString(r.out)
	if move == "" {
		t.Fatalf("verify names no move command:\n%s", r.out)
	}
	if r := run(t, nil, "inventory", "--output", dir); !strings.Contains(r.err, "interval=1M/symbol=BTCUSDT") || !strings.Contains(r.err, "mv -n") {
		t.Errorf("inventory does not warn about the legacy folder:\n%s", r.err)
	}
	r = collect("2024-01-01")
	if r.code != ExitFailed || !strings.Contains(r.out+r.err, "mv -n") {
		t.Fatalf("collect beside the legacy folder: exit %d, want %d naming the move:\n%s\n%s", r.code, ExitFailed, r.out, r.err)
	}
	if _, err := os.Stat(filepath.Join(market, "interval=1mo")); !os.IsNotExist(err) {
		t.Fatalf("collect wrote monthly files beside the legacy folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(market, "interval=1h/symbol=BTCUSDT/2024.parquet")); err != nil {
		t.Fatalf("the 1h series did not run: %v", err)
	}

	if out, err := exec.Command("sh", "-c", move).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", move, err, out)
	}
	if r := run(t, nil, "verify", "--output", dir); r.code != ExitOK || !strings.Contains(r.out, "spot 1M BTCUSDT: OK, 2 files") {
		t.Fatalf("verify after the move: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if r := collect("2024-01-01"); r.code != ExitOK {
		t.Fatalf("collect after the move: %d %s %s", r.code, r.out, r.err)
	}
}
