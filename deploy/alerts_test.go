package deploy

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
	"github.com/lakehouse-dev/lakehouse/transform"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// promtoolComponent is Prometheus' rule checker, from Debian's prometheus
// package (tools/prometheus/install.sh links it into .tools/bin).
var promtoolComponent = testenv.Component{Name: "promtool", Require: "LAKEHOUSE_REQUIRE_SERVERS", Run: "tools/prometheus/install.sh"}

func promtool(t *testing.T) string {
	t.Helper()
	if p, err := filepath.Abs("../.tools/bin/promtool"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("promtool")
	if err != nil {
		testenv.Missing(t, promtoolComponent, "promtool is neither in .tools/bin nor on PATH")
	}
	return p
}

// ruleSpec reads the PrometheusRule's spec: the groups of a plain
// Prometheus rule file.
func ruleSpec(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var obj struct {
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	return obj.Spec
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// promtool checks the rules and runs the unit tests in
// components/alerts/tests against them (rule_files: [rules.yaml]).
func TestPromtoolAlertRules(t *testing.T) {
	dir := t.TempDir()
	rules, err := yaml.Marshal(ruleSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, dir, "check", "rules", "rules.yaml")
	tests := alertTestFiles(t)
	var names []string
	for _, f := range tests {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(f))
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runPromtool(t, dir, append([]string{"test", "rules"}, names...)...)
}

// The dashboard's queries parse for promtool too (the Prometheus of
// Debian 12, 2.42, not only the parser tools/promql is built with):
// checked as recording rules of a throwaway rule file.
func TestPromtoolDashboardQueries(t *testing.T) {
	promtool(t) // skip before building tools/promql
	rep := parsePromQL(t, dashboardFile)
	type rule struct {
		Record string `json:"record"`
		Expr   string `json:"expr"`
	}
	var rules []rule
	for i, e := range rep.Expressions {
		if !strings.HasPrefix(e.Where, "panel") {
			continue // variables are selectors only
		}
		rules = append(rules, rule{Record: fmt.Sprintf("dashboard:query_%d", i), Expr: e.Parsed})
	}
	data, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, dir, "check", "rules", "dashboard.yaml")
}

func alertTestFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("kubernetes/components/alerts/tests/*.yaml")
	if len(files) == 0 {
		t.Fatal("no promtool tests in kubernetes/components/alerts/tests")
	}
	return files
}

// promtoolTests is the part of a promtool test file this test reads.
type promtoolTests struct {
	RuleFiles []string `json:"rule_files"`
	Tests     []struct {
		Name          string `json:"name"`
		AlertRuleTest []struct {
			Alertname string           `json:"alertname"`
			ExpAlerts []map[string]any `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// Every alert has a runbook entry and summary/description annotations,
// and a promtool test where it fires and one where it does not.
func TestEveryAlertIsDocumentedAndTested(t *testing.T) {
	rule := load(t).rules
	if len(rule) != 1 {
		t.Fatalf("%d PrometheusRules", len(rule))
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, f := range alertTestFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var pt promtoolTests
		if err := yaml.Unmarshal(data, &pt); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !slices.Equal(pt.RuleFiles, []string{"rules.yaml"}) {
			t.Errorf("%s: rule_files %v, want [rules.yaml] (written by TestPromtoolAlertRules)", f, pt.RuleFiles)
		}
		for _, tc := range pt.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					silent[a.Alertname] = true
				}
			}
		}
	}
	runbook, err := os.ReadFile("../docs/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllSubmatch(runbook, -1) {
		anchors[githubAnchor(string(m[1]))] = true
	}
	var alerts []string
	for _, g := range rule[0].Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts = append(alerts, r.Alert)
			for _, k := range []string{"summary", "description", "runbook_url"} {
				if r.Annotations[k] == "" {
					t.Errorf("%s: no %s annotation", r.Alert, k)
				}
			}
			url, anchor, _ := strings.Cut(r.Annotations["runbook_url"], "#")
			if url != "https://github.com/lakehouse-dev/lakehouse/blob/main/docs/runbook.md" || !anchors[anchor] {
				t.Errorf("%s: runbook_url %q: want docs/runbook.md#<a heading> (headings: %v)", r.Alert, r.Annotations["runbook_url"], slices.Sorted(maps.Keys(anchors)))
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			if !fires[r.Alert] || !silent[r.Alert] {
				t.Errorf("%s: promtool tests where it fires: %v, where it does not: %v; want both", r.Alert, fires[r.Alert], silent[r.Alert])
			}
		}
	}
	for _, want := range []string{"LakehouseDataStale", "LakehouseRateLimited", "LakehouseBanned", "LakehouseWorkflowFailed", "LakehouseStorageErrors", "LakehouseClockSkew"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s (have %v)", want, alerts)
		}
	}
}

// githubAnchor is the fragment GitHub gives a Markdown heading.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// The dashboard and the stale alert turn the interval label into seconds
// with the same table, which covers every interval the program accepts.
func TestIntervalSecondsTables(t *testing.T) {
	want := map[string]int64{"none": 300} // datasets without intervals: the CronJob's 5 minutes
	for _, iv := range transform.Intervals {
		d := iv.Duration()
		if iv.Monthly() {
			d = 31 * 24 * time.Hour // the longest month
		}
		if d <= 0 {
			t.Fatalf("interval %s has no duration", iv)
		}
		want[string(iv)] = int64(d / time.Second)
	}
	entry := regexp.MustCompile(`label_replace\(vector\((\d+)\), "interval", "([^"]+)", "", ""\)`)
	table := func(where, expr string) {
		got := map[string]int64{}
		for _, m := range entry.FindAllStringSubmatch(expr, -1) {
			got[m[2]], _ = strconv.ParseInt(m[1], 10, 64)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: interval seconds\n got %v\nwant %v", where, got, want)
		}
	}
	rep := parsePromQL(t, dashboardFile, rulesFile)
	var n int
	for _, e := range rep.Expressions {
		if strings.Contains(e.Expr, "label_replace(vector(") {
			table(e.File+", "+e.Where, e.Expr)
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d interval tables, want 2 (the recording rule and the dashboard's intervals-behind panel)", n)
	}
}
