package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// dashboard is the part of Grafana's dashboard model that holds PromQL:
// panel targets (rows nest panels) and query variables.
type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Query is a string or, in newer dashboards, {"query": "..."}.
	Query json.RawMessage `json:"query"`
}

func dashboardExprs(data []byte) ([]source, error) {
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	var out []source
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				out = append(out, source{where: fmt.Sprintf("panel %q query %s", p.Title, t.RefID), expr: t.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		s, err := variableQuery(v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// labelValues is the variable query form the dashboards use:
// label_values(SELECTOR, LABEL). Other forms (metrics(), query_result())
// are refused rather than skipped, so that no query goes unchecked.
var labelValues = regexp.MustCompile(`^\s*label_values\(\s*(.+)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

func variableQuery(v variable) (source, error) {
	var q string
	if err := json.Unmarshal(v.Query, &q); err != nil {
		var obj struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &obj); err != nil {
			return source{}, fmt.Errorf("variable %s: query is neither a string nor {query}", v.Name)
		}
		q = obj.Query
	}
	m := labelValues.FindStringSubmatch(q)
	if m == nil {
		return source{}, fmt.Errorf("variable %s: query %q is not label_values(SELECTOR, LABEL)", v.Name, q)
	}
	return source{where: "variable " + v.Name, expr: strings.TrimSpace(m[1]), selectorOnly: true}, nil
}

// grafanaIntervals are Grafana's built-in interval variables. Grafana
// replaces them before the query reaches Prometheus; any duration stands
// in for them here. Dashboard variables ($market) are left alone: inside
// a label matcher's string they are plain text to the parser, and
// anywhere else they are a parse error, as they should be here.
var grafanaIntervals = strings.NewReplacer(
	"${__rate_interval}", "5m", "$__rate_interval", "5m",
	"${__interval}", "1m", "$__interval", "1m",
	"${__range}", "1h", "$__range", "1h",
)

func expandGrafanaVars(expr string) string { return grafanaIntervals.Replace(expr) }
