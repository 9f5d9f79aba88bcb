package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// An empty lake gets the last closed candle of every interval on the first
// run, whatever --lookback says (issue 18). testNow is Friday 2024-03-15
// 12:34:56: the last closed week opened on Monday 03-04, the last closed
// month on 02-01.
func TestEmptyLakeStoresLastClosedCandleOfEveryInterval(t *testing.T) {
	for _, tc := range []struct {
		lookback string
		first    map[string]string // first candle stored per interval
	}{
		{"", map[string]string{"1h": "2024-03-14T12:00:00Z", "1d": "2024-03-14T00:00:00Z", "1w": "2024-03-04T00:00:00Z", "1M": "2024-02-01T00:00:00Z"}},
		{"6h", map[string]string{"1h": "2024-03-15T06:00:00Z", "1d": "2024-03-14T00:00:00Z", "1w": "2024-03-04T00:00:00Z", "1M": "2024-02-01T00:00:00Z"}},
	} {
		t.Run("lookback="+tc.lookback, func(t *testing.T) {
			fake := newFake(t)
			dir := t.TempDir()
			args := []string{"collect", "--symbols", "BTCUSDT", "--timeframes", "1h,1d,1w,1M", "--output", dir, "--binance-api-url", fake.URL(), "--summary", "json"}
			if tc.lookback != "" {
				args = append(args, "--lookback", tc.lookback)
			}
			r := run(t, nil, args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
			}
			s := parseSummary(t, r.out)
			last := map[string]string{"1h": "2024-03-15T11:00:00Z", "1d": "2024-03-14T00:00:00Z", "1w": "2024-03-04T00:00:00Z", "1M": "2024-02-01T00:00:00Z"}
			if len(s.Tasks) != 4 {
				t.Fatalf("%d tasks, want 4:\n%s", len(s.Tasks), r.out)
			}
			for _, tk := range s.Tasks {
				if tk.Status != "ok" || tk.Added == 0 || len(tk.Files) != 1 || tk.First != tc.first[tk.Interval] || tk.Last != last[tk.Interval] {
					t.Errorf("%s: %s, %d rows [%s, %s] in %v; want the candles [%s, %s] stored",
						tk.Interval, tk.Status, tk.Added, tk.First, tk.Last, tk.Files, tc.first[tk.Interval], last[tk.Interval])
				}
			}
			// The next run resumes after them: nothing new is closed yet.
			r = run(t, nil, args...)
			if r.code != ExitOK {
				t.Fatalf("second run: exit %d: %s %s", r.code, r.out, r.err)
			}
			for _, tk := range parseSummary(t, r.out).Tasks {
				if tk.Status != "up-to-date" || tk.Added != 0 {
					t.Errorf("second run %s: %s, %d rows added", tk.Interval, tk.Status, tk.Added)
				}
			}
		})
	}
}

func parseSummary(t *testing.T, out string) jsonSummary {
	t.Helper()
	var s jsonSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	return s
}

// btcusdt,BTCUSDT is one symbol and 1M,1mo one interval: one task each,
// in the order first given.
func TestDuplicateSymbolsAndIntervalsAreOneTask(t *testing.T) {
	fake := newFake(t)
	r := run(t, nil, "collect", "--symbols", "btcusdt,ETHUSDT,BTCUSDT", "--timeframes", "1M,1h,1mo,1h", "--start", "2024-03-01",
		"--output", t.TempDir(), "--binance-api-url", fake.URL(), "--dry-run", "--summary", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var p struct {
		Tasks []struct{ Symbol, Interval string }
	}
	if err := json.Unmarshal([]byte(r.out), &p); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range p.Tasks {
		got = append(got, tk.Symbol+" "+tk.Interval)
	}
	want := []string{"BTCUSDT 1M", "BTCUSDT 1h", "ETHUSDT 1M", "ETHUSDT 1h"}
	if !slices.Equal(got, want) {
		t.Fatalf("tasks %v, want %v", got, want)
	}
}

// An unreadable file fails its own series only: the others are planned
// and collected, the failure names the file and why, and the exit code is
// 1, in a run and in a dry run. A shard without the bad series never reads it.
func TestCorruptFileFailsOnlyItsTask(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	base := []string{"collect", "--symbols", "BTCUSDT,ETHUSDT", "--timeframes", "1h", "--output", dir, "--binance-api-url", fake.URL()}
	if r := run(t, nil, append(slices.Clone(base), "--start", "2024-03-14", "--end", "2024-03-15")...); r.code != ExitOK {
		t.Fatalf("seeding the lake: exit %d: %s %s", r.code, r.out, r.err)
	}
	bad := "silver/klines/market=spot/interval=1h/symbol=ETHUSDT/2024.parquet"
	if err := os.WriteFile(filepath.Join(dir, bad), []byte("not a parquet file"), 0o644); err != nil {
		t.Fatal(err)
	}

	r := run(t, nil, append(slices.Clone(base), "--dry-run")...)
	if r.code != ExitFailed {
		t.Fatalf("dry run: exit %d, want 1: %s %s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.out, "spot BTCUSDT 1h: source auto [2024-03-15T00:00:00Z, 2024-03-15T13:00:00Z) from resume") ||
		!strings.Contains(r.out, "spot ETHUSDT 1h: failed: ") || !strings.Contains(r.out, bad) {
		t.Errorf("dry run plan does not show BTCUSDT planned and ETHUSDT failed on %s:\n%s", bad, r.out)
	}

	r = run(t, nil, append(slices.Clone(base), "--dry-run", "--summary", "json")...)
	if r.code != ExitFailed {
		t.Fatalf("dry run json: exit %d, want 1: %s %s", r.code, r.out, r.err)
	}
	var p struct {
		Tasks []struct{ Symbol, Status, Error, Start string }
	}
	if err := json.Unmarshal([]byte(r.out), &p); err != nil {
		t.Fatalf("dry run json: %v\n%s", err, r.out)
	}
	if len(p.Tasks) != 2 || p.Tasks[0].Status != "planned" || p.Tasks[0].Start != "2024-03-15T00:00:00Z" ||
		p.Tasks[1].Status != "failed" || !strings.Contains(p.Tasks[1].Error, bad) {
		t.Errorf("dry run json plan: %+v", p.Tasks)
	}

	r = run(t, nil, append(slices.Clone(base), "--summary", "json")...)
	if r.code != ExitFailed {
		t.Fatalf("run: exit %d, want 1: %s %s", r.code, r.out, r.err)
	}
	s := parseSummary(t, r.out)
	if len(s.Tasks) != 2 || s.OK != 1 || s.Failed != 1 {
		t.Fatalf("summary %+v", s)
	}
	if btc := s.Tasks[0]; btc.Symbol != "BTCUSDT" || btc.Status != "ok" || btc.First != "2024-03-15T00:00:00Z" || btc.Last != "2024-03-15T11:00:00Z" {
		t.Errorf("BTCUSDT did not resume: %+v", btc)
	}
	if eth := s.Tasks[1]; eth.Status != "failed" || !strings.Contains(eth.Error, bad) || !strings.Contains(eth.Error, "left off") {
		t.Errorf("ETHUSDT: %+v, want failed naming %s", eth, bad)
	}

	// Pod 0 of 2 takes BTCUSDT only and never reads ETHUSDT's files.
	r = run(t, nil, append(slices.Clone(base), "--shard", "0/2", "--dry-run")...)
	if r.code != ExitOK || strings.Contains(r.out, "ETHUSDT") {
		t.Errorf("shard 0/2: exit %d:\n%s %s", r.code, r.out, r.err)
	}
}
