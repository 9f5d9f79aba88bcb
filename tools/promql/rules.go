package main

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// ruleGroups is a Prometheus rule file's content: the file itself, or the
// spec of a PrometheusRule object (Prometheus Operator).
type ruleGroups struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func ruleExprs(data []byte) ([]source, []string, error) {
	var doc struct {
		Kind       string     `yaml:"kind"`
		Spec       ruleGroups `yaml:"spec"`
		ruleGroups `yaml:",inline"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	rg := doc.ruleGroups
	if doc.Kind == "PrometheusRule" {
		rg = doc.Spec
	}
	if len(rg.Groups) == 0 {
		return nil, nil, fmt.Errorf("no rule groups")
	}
	var out []source
	var recorded []string
	for _, g := range rg.Groups {
		for _, r := range g.Rules {
			name := "alert " + r.Alert
			if r.Record != "" {
				name = "record " + r.Record
				recorded = append(recorded, r.Record)
			}
			out = append(out, source{where: fmt.Sprintf("group %s %s", g.Name, name), expr: r.Expr})
		}
	}
	return out, recorded, nil
}
