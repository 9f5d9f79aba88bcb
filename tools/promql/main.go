// Command promql parses the PromQL of Grafana dashboards and Prometheus
// rule files with the Prometheus parser and prints, as JSON, every
// expression with the metric names and label matchers it selects, or its
// parse error.
//
//	promql FILE...   (*.json: Grafana dashboards; *.yaml, *.yml: rule
//	                  files or PrometheusRule objects)
//
// Exit status: 0 when every expression parses and names its metrics
// literally, 1 when one does not (the JSON says which), 2 when a file
// cannot be read. It lives in its own module so that the Prometheus
// module stays out of lakehouse's go.mod; lakehouse's deploy tests run it
// and compare the names with a scrape of the program's /metrics.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Report is what the command prints.
type Report struct {
	Expressions []Expression `json:"expressions"`
	// Recorded are the series the rule files' recording rules define.
	Recorded []string `json:"recorded"`
}

// Expression is one PromQL expression and what it selects.
type Expression struct {
	File string `json:"file"`
	// Where names the expression in its file: a panel and its query's
	// refId, a template variable, or a rule group and rule.
	Where string `json:"where"`
	// Expr is the expression as written; Parsed is what was parsed, after
	// Grafana's built-in interval variables were replaced (see grafana.go).
	Expr      string     `json:"expr"`
	Parsed    string     `json:"parsed"`
	Selectors []Selector `json:"selectors,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// source is one expression found in a file, before parsing.
type source struct {
	where, expr string
	// selectorOnly: the text is a series selector (a label_values
	// variable's first argument), not a whole expression.
	selectorOnly bool
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: promql FILE... (Grafana dashboard .json, rule file .yaml)")
		os.Exit(2)
	}
	rep := Report{Expressions: []Expression{}, Recorded: []string{}}
	for _, f := range os.Args[1:] {
		srcs, recorded, err := readFile(f)
		if err != nil {
			fmt.Fprintf(os.Stderr, "promql: %s: %v\n", f, err)
			os.Exit(2)
		}
		rep.Recorded = append(rep.Recorded, recorded...)
		for _, s := range srcs {
			rep.Expressions = append(rep.Expressions, check(f, s))
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, "promql:", err)
		os.Exit(2)
	}
	for _, e := range rep.Expressions {
		if e.Error != "" {
			os.Exit(1)
		}
	}
}

func readFile(path string) ([]source, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		srcs, err := dashboardExprs(data)
		return srcs, nil, err
	case ".yaml", ".yml":
		return ruleExprs(data)
	}
	return nil, nil, fmt.Errorf("unknown kind of file (want .json or .yaml)")
}
