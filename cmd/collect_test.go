package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
)

var testNow = time.Date(2024, 3, 15, 12, 34, 56, 0, time.UTC)

type result struct {
	code     int
	out, err string
}

// run executes the CLI in-process with a fixed clock and env.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env = withFakeArchive(env, args)
	io := IO{Out: &out, Err: &errb, Now: func() time.Time { return testNow }, Getenv: func(k string) string { return env[k] }}
	code := Run(context.Background(), io, args)
	return result{code, out.String(), errb.String()}
}

func newFake(t *testing.T, opts ...binancetest.Option) *binancetest.Server {
	fake := binancetest.New(append([]binancetest.Option{binancetest.WithClock(func() time.Time { return testNow })}, opts...)...)
	t.Cleanup(fake.Close)
	return fake
}

func TestBadInputExits2AndWritesNothing(t *testing.T) {
	fake := newFake(t)
	cases := []struct {
		name string
		args []string
		want string // in the one-line error
	}{
		{"unknown interval", []string{"--timeframes", "2m"}, `unknown interval "2m"`},
		{"malformed symbol", []string{"--symbols", "BTC-USDT"}, `malformed symbol "BTC-USDT"`},
		{"unknown market", []string{"--market", "options"}, `unknown market "options"`},
		{"start after end", []string{"--start", "2024-03-02", "--end", "2024-03-01"}, "is not before --end"},
		{"start equals end", []string{"--start", "2024-03-01", "--end", "2024-03-01"}, "is not before --end"},
		{"start in the future", []string{"--start", "2030-01-01"}, "is not before --end"},
		{"unparsable start", []string{"--start", "yesterday"}, `unparsable --start "yesterday"`},
		{"unparsable end", []string{"--end", "2024-13-01"}, `unparsable --end "2024-13-01"`},
		{"1s on futures", []string{"--market", "usdm", "--timeframes", "1s"}, "only available on the spot market"},
		{"1s on coinm", []string{"--market", "coinm", "--symbols", "BTCUSD_PERP", "--timeframes", "1m,1s"}, "only available on the spot market"},
		{"bad api url", []string{"--binance-api-url", "ftp://x"}, `bad URL "ftp://x"`},
		{"bad output scheme", []string{"--output", "gs://bucket/x"}, `unsupported scheme "gs"`},
		{"bad lookback", []string{"--lookback", "-3h"}, `unparsable --lookback "-3h"`},
		{"bad summary", []string{"--summary", "xml"}, `unknown --summary "xml"`},
		{"bad concurrency", []string{"--concurrency", "0"}, "--concurrency 0"},
		{"bad log level", []string{"--log-level", "loud"}, `unknown --log-level "loud"`},
		{"unknown flag", []string{"--symbol", "BTCUSDT"}, "unknown flag: --symbol"},
		{"stray argument", []string{"BTCUSDT"}, "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "lake")
			args := append([]string{"collect", "--symbols", "BTCUSDT", "--output", dir, "--binance-api-url", fake.URL()}, tc.args...)
			before := fake.Stats()
			r := run(t, nil, args...)
			if r.code != ExitUsage {
				t.Fatalf("exit %d, want 2; stderr %q", r.code, r.err)
			}
			lines := strings.Split(strings.TrimSpace(r.err), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("stderr %q, want one line containing %q", r.err, tc.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("output folder was created")
			}
			if after := fake.Stats(); total(after.Requests) != total(before.Requests) {
				t.Fatalf("Binance was called")
			}
		})
	}
}

func TestMissingSymbolsExits2(t *testing.T) {
	r := run(t, nil, "collect", "--output", t.TempDir())
	if r.code != ExitUsage || !strings.Contains(r.err, "--symbols is required") {
		t.Fatalf("exit %d stderr %q", r.code, r.err)
	}
}

func TestBadEnvExits2(t *testing.T) {
	r := run(t, map[string]string{"LAKEHOUSE_SYMBOLS": "BTCUSDT", "LAKEHOUSE_TIMEFRAMES": "7m"}, "collect", "--output", t.TempDir())
	if r.code != ExitUsage || !strings.Contains(r.err, `unknown interval "7m"`) {
		t.Fatalf("exit %d stderr %q", r.code, r.err)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

type jsonSummary struct {
	Tasks []struct {
		Symbol, Interval, Status, Error string
		Added                           int      `json:"rows_added"`
		Files                           []string `json:"files_written"`
		First                           string   `json:"first_candle"`
		Last                            string   `json:"last_candle"`
	}
	OK, Failed int
}

func TestCollectFromEnvWithJSONSummary(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	env := map[string]string{
		"LAKEHOUSE_SYMBOLS": "btcusdt,ETHUSDT", "LAKEHOUSE_INTERVALS": "1h,15m", "LAKEHOUSE_OUTPUT": dir,
		"LAKEHOUSE_BINANCE_API_URL": fake.URL(), "LAKEHOUSE_START": "2024-03-14", "LAKEHOUSE_SUMMARY": "json",
	}
	r := run(t, env, "collect", "--end", "2024-03-15T00:00:00Z")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	var s jsonSummary
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.out)
	}
	if s.OK != 4 || s.Failed != 0 || len(s.Tasks) != 4 {
		t.Fatalf("summary %+v", s)
	}
	for _, tk := range s.Tasks {
		want := map[string]int{"1h": 24, "15m": 96}[tk.Interval]
		if tk.Added != want || len(tk.Files) != 1 || tk.First != "2024-03-14T00:00:00Z" {
			t.Errorf("task %+v, want %d rows", tk, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "silver/klines/market=spot/interval=15m/symbol=BTCUSDT/2024-03.parquet")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "silver/klines/market=spot/interval=1h/symbol=ETHUSDT/2024.parquet")); err != nil {
		t.Fatal(err)
	}
}

func TestBanExits1AndUnknownSymbolIsReported(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	r := run(t, nil, "collect", "--symbols", "NOPEUSDT,BTCUSDT", "--output", dir, "--binance-api-url", fake.URL(), "--lookback", "2h")
	if r.code != ExitFailed {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.out, "FAILED spot NOPEUSDT 1m: Binance rejected the request: Invalid symbol. (code -1121)") {
		t.Fatalf("summary does not report Binance's message:\n%s", r.out)
	}
	fake.Inject("/api/v3/klines", 1, binancetest.Status418(time.Minute))
	r = run(t, nil, "collect", "--symbols", "ETHUSDT", "--output", dir, "--binance-api-url", fake.URL(), "--start", "2024-03-01")
	if r.code != ExitFailed || !strings.Contains(r.out, "banned") {
		t.Fatalf("418: exit %d\n%s", r.code, r.out)
	}
}

func TestDryRunFetchesNothing(t *testing.T) {
	fake := newFake(t)
	dir := filepath.Join(t.TempDir(), "lake")
	r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--timeframes", "1m,1d", "--start", "2023-11-20", "--output", dir, "--binance-api-url", fake.URL(), "--dry-run")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"spot BTCUSDT 1m: source auto [2023-11-20T00:00:00Z, 2024-03-15T12:35:00Z)", "BTCUSDT-1m-2024-03-14.zip", "api         [2024-03-15T00:00:00Z, 2024-03-15T12:35:00Z) REST", "symbol=BTCUSDT/2023-11.parquet", "symbol=BTCUSDT/2024-03.parquet", "interval=1d/symbol=BTCUSDT/2024.parquet"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.out)
		}
	}
	if total(fake.Stats().Requests) != 0 {
		t.Error("dry run called Binance")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("dry run created the output folder")
	}
}

func TestVersion(t *testing.T) {
	r := run(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.out, "lakehouse ") || !strings.Contains(r.out, "go: go1.") {
		t.Fatalf("version: %d %q", r.code, r.out)
	}
}
