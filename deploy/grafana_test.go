package deploy

import (
	"encoding/json"
	"os"
	"testing"

	"sigs.k8s.io/yaml"
)

// The dashboard loads the same way imported or provisioned: a fixed uid,
// every query on the $datasource variable (no data source uid of ours),
// unique panel ids; the provider example decodes strictly.
func TestDashboardIsProvisionable(t *testing.T) {
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	type datasource struct{ Type, UID string }
	type panel struct {
		ID         int
		Type       string
		Title      string
		Datasource *datasource
		Targets    []struct {
			RefID      string
			Expr       string
			Datasource *datasource
		}
		GridPos *struct{ H, W, X, Y int }
	}
	var d struct {
		UID, Title    string
		SchemaVersion int
		Panels        []panel
		Templating    struct {
			List []struct{ Name, Type string }
		}
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if d.UID != "lakehouse" || d.Title == "" || d.SchemaVersion == 0 {
		t.Errorf("uid %q title %q schemaVersion %d", d.UID, d.Title, d.SchemaVersion)
	}
	var hasDS bool
	for _, v := range d.Templating.List {
		hasDS = hasDS || v.Name == "datasource" && v.Type == "datasource"
	}
	if !hasDS {
		t.Error("no datasource variable")
	}
	onVariable := func(ds *datasource) bool { return ds != nil && ds.Type == "prometheus" && ds.UID == "${datasource}" }
	ids := map[int]bool{}
	var queries int
	for _, p := range d.Panels {
		if ids[p.ID] || p.ID == 0 {
			t.Errorf("panel %q: id %d missing or used twice", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 || !onVariable(p.Datasource) {
			t.Errorf("panel %q: %d queries, datasource %+v", p.Title, len(p.Targets), p.Datasource)
		}
		for _, q := range p.Targets {
			queries++
			if q.Expr == "" || q.RefID == "" || !onVariable(q.Datasource) {
				t.Errorf("panel %q query %q: expr %q datasource %+v", p.Title, q.RefID, q.Expr, q.Datasource)
			}
		}
	}
	if queries < 15 {
		t.Errorf("%d queries", queries)
	}

	prov, err := os.ReadFile("grafana/provisioning/dashboards.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		APIVersion int `json:"apiVersion"`
		Providers  []struct {
			Name                  string `json:"name"`
			OrgID                 int    `json:"orgId"`
			Folder                string `json:"folder"`
			Type                  string `json:"type"`
			DisableDeletion       bool   `json:"disableDeletion"`
			AllowUIUpdates        bool   `json:"allowUiUpdates"`
			UpdateIntervalSeconds int    `json:"updateIntervalSeconds"`
			Options               struct {
				Path                      string `json:"path"`
				FoldersFromFilesStructure bool   `json:"foldersFromFilesStructure"`
			} `json:"options"`
		} `json:"providers"`
	}
	if err := yaml.UnmarshalStrict(prov, &p); err != nil {
		t.Fatal(err)
	}
	if p.APIVersion != 1 || len(p.Providers) != 1 || p.Providers[0].Type != "file" || p.Providers[0].Options.Path == "" {
		t.Errorf("provider %+v", p)
	}
}
