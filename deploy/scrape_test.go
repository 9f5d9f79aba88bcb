package deploy

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"strconv"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lakehouse-dev/lakehouse/telemetry"
)

// exported is what a scrape of the program's /metrics shows: for each
// sample name (histograms as _bucket, _sum and _count) the values seen
// of each label.
type exported map[string]map[string]map[string]bool

// scrapeProgram starts the program's telemetry with its Prometheus
// endpoint (as --prometheus-addr does), records through the same API the
// collector uses, and scrapes /metrics over HTTP.
func scrapeProgram(t *testing.T) exported {
	t.Helper()
	tel := telemetry.New(context.Background(), telemetry.Config{PrometheusAddr: "127.0.0.1:0", ServiceVersion: "test"})
	t.Cleanup(func() { tel.Shutdown(5 * time.Second) })
	if tel.PrometheusURL() == "" {
		t.Fatal("the Prometheus endpoint did not start")
	}
	recordEveryInstrument(tel.Metrics)
	resp, err := http.Get(tel.PrometheusURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse the exposition: %v", err)
	}
	out := exported{}
	add := func(name string, labels []*dto.LabelPair, extra ...string) {
		if out[name] == nil {
			out[name] = map[string]map[string]bool{}
		}
		set := func(k, v string) {
			if out[name][k] == nil {
				out[name][k] = map[string]bool{}
			}
			out[name][k][v] = true
		}
		for _, l := range labels {
			set(l.GetName(), l.GetValue())
		}
		for i := 0; i+1 < len(extra); i += 2 {
			set(extra[i], extra[i+1])
		}
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				for _, b := range m.GetHistogram().GetBucket() {
					add(name+"_bucket", m.GetLabel(), "le", strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64))
				}
				add(name+"_bucket", m.GetLabel(), "le", "+Inf")
				add(name+"_sum", m.GetLabel())
				add(name+"_count", m.GetLabel())
			default:
				add(name, m.GetLabel())
			}
		}
	}
	return out
}

// recordEveryInstrument makes every instrument report, with the label
// values the dashboard and the alerts select on (statuses, a dataset
// with and one without intervals).
func recordEveryInstrument(m *telemetry.Metrics) {
	ctx := context.Background()
	m.RecordAPIRequest(ctx, "/api/v3/klines", 200, 30*time.Millisecond)
	m.RecordAPIRequest(ctx, "/api/v3/klines", 429, 5*time.Millisecond)
	m.RecordAPIRequest(ctx, "/api/v3/klines", 418, 5*time.Millisecond)
	for _, id := range []telemetry.SeriesID{
		{DataType: "klines", Market: "spot", Symbol: "BTCUSDT", Interval: "1m"},
		{DataType: "trades", Market: "spot", Symbol: "BTCUSDT"},
	} {
		s := m.Series(id, "api")
		s.RecordIngested(ctx, 1000)
		s.RecordVolume(ctx, 150_000)
		m.SetFreshness(id, time.Now().Add(-time.Minute).UnixMilli())
	}
	m.RecordStage(ctx, "transform", 2*time.Millisecond, 1000)
	m.RecordRejected(ctx, "klines", "transform", "ohlc", 1)
	st := m.Storage("s3")
	st.Record(ctx, "write", telemetry.StorageOK, "", 20*time.Millisecond, 40_000)
	st.Record(ctx, "write", telemetry.StorageError, "io_error", time.Millisecond, 0)
	m.AddQueued(ctx, 2)
	m.RecordSymbolProcessed(ctx, "spot")
	m.StartWorkflow("collect").End(ctx, false)
	m.StartWorkflow("collect").End(ctx, true)
	m.StartWorkflow("collect") // one still running
	m.SetClockSkew("spot", -0.25)
}

// instrumentNames are the values of the instrument name constants in
// telemetry/metrics.go, read from the source: a new instrument there
// must be recorded above before the dashboard can be checked against it.
func instrumentNames(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../telemetry/metrics.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, v := range s.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && len(s) > 7 && s[:7] == "crypto_" {
						names = append(names, s)
					}
				}
			}
		}
	}
	if len(names) < 20 {
		t.Fatalf("found %d instrument names in telemetry/metrics.go: %v", len(names), names)
	}
	return names
}

func TestScrapeShowsEveryInstrument(t *testing.T) {
	got := scrapeProgram(t)
	for _, name := range instrumentNames(t) {
		if got[name] == nil && got[name+"_count"] == nil {
			t.Errorf("%s is not in the scrape: record it in recordEveryInstrument", name)
		}
	}
}
