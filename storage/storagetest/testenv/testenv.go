// Package testenv decides what a test does when a real component it needs
// (an S3 server, an OpenTelemetry Collector, the DuckDB reader) is
// missing: with the component's LAKEHOUSE_REQUIRE_* variable set to 1, as
// `make test` sets it, the test fails; otherwise it is skipped and named in
// a banner at the end of its package's run, so that a plain `go test
// ./...` does not pass quietly without having tested S3, OTLP export or
// the independent Parquet reads.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Component is something real a test needs.
type Component struct {
	Name    string // what is missing, e.g. "S3 server"
	Require string // the variable that makes its absence a failure
	Run     string // what provides it
}

var (
	S3     = Component{"S3 server", "LAKEHOUSE_REQUIRE_SERVERS", "tools/s3/run-with.sh"}
	OTLP   = Component{"OpenTelemetry Collector", "LAKEHOUSE_REQUIRE_SERVERS", "tools/otelcol/run-with.sh"}
	DuckDB = Component{"DuckDB reader", "LAKEHOUSE_REQUIRE_DUCKDB", "make duckdb"}
)

var (
	mu      sync.Mutex
	skipped = map[Component][]string{} // test names by missing component
)

// Missing ends a test that cannot run without c; why says what is missing.
// It fails the test if c is required, else records and skips it.
func Missing(t testing.TB, c Component, why string) {
	t.Helper()
	if os.Getenv(c.Require) == "1" {
		t.Fatalf("no %s (%s=1): %s; run under %s", c.Name, c.Require, why, c.Run)
		return
	}
	mu.Lock()
	skipped[c] = append(skipped[c], t.Name())
	mu.Unlock()
	t.Skipf("no %s: %s; run under %s (make test does)", c.Name, why, c.Run)
}

// Main is a TestMain: it runs the package's tests, then announces the ones
// skipped for a missing component.
func Main(m *testing.M) {
	code := m.Run()
	if b := Banner(); b != "" {
		announce(b)
	}
	os.Exit(code)
}

// Banner lists the tests skipped so far, "" if none.
func Banner() string {
	mu.Lock()
	defer mu.Unlock()
	if len(skipped) == 0 {
		return ""
	}
	pkg := "this package"
	if wd, err := os.Getwd(); err == nil {
		pkg = filepath.Base(wd) // go test runs a package's tests in its folder
	}
	var n int
	var lines []string
	for c, tests := range skipped {
		n += len(tests)
		lines = append(lines, fmt.Sprintf("  no %s (%s): %s", c.Name, c.Run, strings.Join(tests, ", ")))
	}
	slices.Sort(lines)
	rule := strings.Repeat("=", 72)
	return fmt.Sprintf("%s\n%s: SKIPPED %d test(s) needing real components; their code is UNTESTED in this run:\n%s\nRun `make test`: it starts the servers, installs DuckDB and fails instead of skipping.\n%s\n",
		rule, pkg, n, strings.Join(lines, "\n"), rule)
}

// announce writes the banner on stderr. go test shows a passing package's
// output only with -v, so without -v the banner also goes to the
// controlling terminal, if there is one (LAKEHOUSE_TESTENV_TTY=0: never).
func announce(banner string) {
	fmt.Fprint(os.Stderr, banner)
	if testing.Verbose() || os.Getenv("LAKEHOUSE_TESTENV_TTY") == "0" {
		return
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		fmt.Fprint(tty, banner)
		tty.Close()
	}
}
