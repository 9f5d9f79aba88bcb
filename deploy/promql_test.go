package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	dashboardFile = "grafana/lakehouse.json"
	rulesFile     = "kubernetes/components/alerts/prometheusrule.yaml"
)

// promqlReport is the output of tools/promql.
type promqlReport struct {
	Expressions []struct {
		File, Where, Expr, Parsed, Error string
		Selectors                        []struct {
			Metric   string
			Matchers []struct{ Label, Op, Value string }
		}
	}
	Recorded []string
}

// buildPromQLTool builds tools/promql, a module of its own that keeps the
// Prometheus module out of lakehouse's go.mod (Go's build cache makes
// every build after the first a link).
func buildPromQLTool(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "promql")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = "../tools/promql"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build tools/promql: %v\n%s", err, out)
	}
	return bin
}

// parsePromQL runs tools/promql on files; a parse error fails the test.
func parsePromQL(t *testing.T, files ...string) promqlReport {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(buildPromQLTool(t), files...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		t.Fatalf("tools/promql %v: %v\n%s", files, err, stderr.String())
	}
	var rep promqlReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("tools/promql output: %v\n%s", err, stdout.String())
	}
	var failed bool
	for _, e := range rep.Expressions {
		if e.Error != "" {
			t.Errorf("%s, %s: %s\n%s", e.File, e.Where, e.Error, e.Expr)
			failed = true
		}
	}
	if failed || len(rep.Expressions) == 0 {
		t.FailNow()
	}
	return rep
}

// Every metric the dashboard and the alert rules select is one a scrape of
// the program's /metrics shows (or a recording rule of the same rule
// file defines), with the labels they match on, and the label values they
// compare with equality among those the program writes.
func TestDashboardAndAlertsSelectExportedMetrics(t *testing.T) {
	got := scrapeProgram(t)
	rep := parsePromQL(t, dashboardFile, rulesFile)
	recorded := map[string]bool{}
	for _, r := range rep.Recorded {
		recorded[r] = true
	}
	used := map[string]bool{}
	for _, e := range rep.Expressions {
		for _, s := range e.Selectors {
			used[s.Metric] = true
			if recorded[s.Metric] && e.File == rulesFile {
				continue
			}
			labels, ok := got[s.Metric]
			if !ok {
				t.Errorf("%s, %s: %s is not exported (scrape: %v)", e.File, e.Where, s.Metric, sortedKeys(got))
				continue
			}
			for _, m := range s.Matchers {
				values, ok := labels[m.Label]
				if !ok {
					t.Errorf("%s, %s: %s has no label %s (it has %v)", e.File, e.Where, s.Metric, m.Label, sortedKeys(labels))
				} else if m.Op == "=" && !strings.Contains(m.Value, "$") && !values[m.Value] {
					t.Errorf("%s, %s: %s{%s=%q}: the program writes %s=%v", e.File, e.Where, s.Metric, m.Label, m.Value, m.Label, sortedKeys(values))
				}
			}
		}
	}
	// What issue 17 asks the dashboard and the alerts to show.
	for _, name := range []string{
		"crypto_data_freshness_seconds", "crypto_data_ingested_total", "crypto_api_request_duration_seconds_bucket",
		"crypto_api_rate_limits_total", "crypto_storage_operations_total", "crypto_storage_errors_total",
		"crypto_storage_operation_duration_seconds_bucket", "crypto_workflow_executions_total",
		"crypto_system_memory_usage_bytes", "crypto_clock_skew_seconds",
	} {
		if !used[name] {
			t.Errorf("neither the dashboard nor the alerts use %s", name)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
