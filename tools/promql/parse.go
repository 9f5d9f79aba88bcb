package main

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Selector is one vector selector of an expression: the metric it names
// and its other label matchers.
type Selector struct {
	Metric   string    `json:"metric"`
	Matchers []Matcher `json:"matchers,omitempty"`
}

// Matcher is one label matcher: op is =, !=, =~ or !~.
type Matcher struct {
	Label string `json:"label"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// The default options: no experimental functions, the stable language a
// Prometheus server accepts without feature flags.
var promql = parser.NewParser(parser.Options{})

// check parses one expression and lists its selectors. A selector whose
// metric name is not a literal (a regex on __name__, or none) is an
// error: its metrics could not be checked against what the program
// exports.
func check(file string, s source) Expression {
	e := Expression{File: file, Where: s.where, Expr: s.expr, Parsed: expandGrafanaVars(s.expr)}
	if s.selectorOnly {
		ms, err := promql.ParseMetricSelector(e.Parsed)
		if err != nil {
			e.Error = err.Error()
			return e
		}
		e.Selectors = []Selector{selectorOf(ms)}
	} else {
		expr, err := promql.ParseExpr(e.Parsed)
		if err != nil {
			e.Error = err.Error()
			return e
		}
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				e.Selectors = append(e.Selectors, selectorOf(vs.LabelMatchers))
			}
			return nil
		})
	}
	for _, sel := range e.Selectors {
		if sel.Metric == "" {
			e.Error = fmt.Sprintf("a selector names no metric literally: %v", sel.Matchers)
			break
		}
	}
	return e
}

// selectorOf splits matchers into the metric name (an equality on
// __name__) and the rest. Metric stays "" when the name is not literal.
func selectorOf(ms []*labels.Matcher) Selector {
	var s Selector
	literal := false
	for _, m := range ms {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			s.Metric, literal = m.Value, true
			continue
		}
		s.Matchers = append(s.Matchers, Matcher{m.Name, m.Type.String(), m.Value})
	}
	if !literal || slices.ContainsFunc(s.Matchers, func(m Matcher) bool { return m.Label == labels.MetricName }) {
		s.Metric = ""
	}
	slices.SortFunc(s.Matchers, func(a, b Matcher) int { return cmp.Compare(a.Label, b.Label) })
	return s
}
