package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfileFlags: the hidden --cpuprofile, --memprofile and --trace flags
// write a pprof CPU profile, an allocation profile (both gzipped protobuf)
// and an execution trace of the run.
func TestProfileFlags(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	cpu, mem, tr := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof"), filepath.Join(dir, "run.trace")
	r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--timeframes", "1h", "--start", "2024-03-14", "--end", "2024-03-15",
		"--output", filepath.Join(dir, "lake"), "--binance-api-url", fake.URL(), "-q",
		"--cpuprofile", cpu, "--memprofile", mem, "--trace", tr)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	for _, c := range []struct{ path, magic string }{{cpu, "\x1f\x8b"}, {mem, "\x1f\x8b"}, {tr, "go 1."}} {
		b, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 64 || !bytes.HasPrefix(b, []byte(c.magic)) {
			t.Errorf("%s: %d bytes starting %q, want a file starting %q", filepath.Base(c.path), len(b), b[:min(len(b), 8)], c.magic)
		}
	}
}

// TestTraceFlagBadPath: an unwritable --trace path is bad input: exit 2,
// one line, nothing fetched.
func TestTraceFlagBadPath(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--timeframes", "1h", "--start", "2024-03-14",
		"--output", filepath.Join(dir, "lake"), "--binance-api-url", fake.URL(),
		"--trace", filepath.Join(dir, "no", "such", "dir", "run.trace"))
	if r.code != ExitUsage || strings.Count(strings.TrimSpace(r.err), "\n") != 0 || !strings.Contains(r.err, "--trace") {
		t.Fatalf("exit %d, stderr %q; want exit %d and one line naming --trace", r.code, r.err, ExitUsage)
	}
	if n := total(fake.Stats().Requests); n != 0 {
		t.Errorf("%d requests made", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "lake")); err == nil {
		t.Error("output folder created")
	}
}
