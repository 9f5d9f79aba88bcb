package telemetry

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// printDigest writes one line per instrument that saw data, summed over
// its attributes: a quick read of the run for a human at a terminal,
// where the console exporter's JSON is too much.
func (t *Telemetry) printDigest(ctx context.Context) {
	var rm metricdata.ResourceMetrics
	if err := t.digest.Collect(ctx, &rm); err != nil {
		return
	}
	writeDigest(t.cfg.Console, rm)
}

func writeDigest(w io.Writer, rm metricdata.ResourceMetrics) {
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s := summarize(m); s != "" {
				lines = append(lines, fmt.Sprintf("  %-48s %s", m.Name, s))
			}
		}
	}
	slices.Sort(lines)
	fmt.Fprintf(w, "metrics digest:\n%s\n", strings.Join(lines, "\n"))
}

func summarize(m metricdata.Metrics) string {
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		if len(d.DataPoints) == 0 {
			return ""
		}
		var n int64
		for _, p := range d.DataPoints {
			n += p.Value
		}
		return fmt.Sprintf("%d %s (%d series)", n, m.Unit, len(d.DataPoints))
	case metricdata.Gauge[int64]:
		var n int64
		for _, p := range d.DataPoints {
			n = max(n, p.Value)
		}
		return fmt.Sprintf("%d %s", n, m.Unit)
	case metricdata.Gauge[float64]:
		if len(d.DataPoints) == 0 {
			return ""
		}
		hi := d.DataPoints[0].Value
		for _, p := range d.DataPoints {
			hi = max(hi, p.Value)
		}
		return fmt.Sprintf("max %.3g %s (%d series)", hi, m.Unit, len(d.DataPoints))
	case metricdata.Histogram[int64]:
		var n uint64
		var sum int64
		for _, p := range d.DataPoints {
			n, sum = n+p.Count, sum+p.Sum
		}
		if n == 0 {
			return ""
		}
		return fmt.Sprintf("count %d, sum %d %s, mean %.4g", n, sum, m.Unit, float64(sum)/float64(n))
	case metricdata.Histogram[float64]:
		var n uint64
		var sum float64
		for _, p := range d.DataPoints {
			n, sum = n+p.Count, sum+p.Sum
		}
		if n == 0 {
			return ""
		}
		return fmt.Sprintf("count %d, sum %.4g %s, mean %.4g", n, sum, m.Unit, sum/float64(n))
	}
	return ""
}
