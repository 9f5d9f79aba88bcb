package cmd

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// TestSummaryRejectedBounded: a task that rejected a million rows prints
// their count per reason and a few examples, not a million lines; the JSON
// has the same shape with or without rejected rows.
func TestSummaryRejectedBounded(t *testing.T) {
	const n = 1_000_000
	task := collector.Task{Market: collector.Spot, Symbol: "BTCUSDT", Interval: "1s", Start: 1704067200000, End: 1704067200000 + n*1000}
	bad := collector.TaskResult{Task: task, Status: collector.StatusOK}
	for i := range n {
		typ := transform.ErrParse
		if i%10 == 0 {
			typ = transform.ErrOHLC
		}
		bad.Rejected.Add(&transform.RowError{OpenTime: task.Start + int64(i)*1000, Type: typ, Detail: "x"})
	}
	good := collector.TaskResult{Task: task, Status: collector.StatusOK}
	results := []collector.TaskResult{bad, good}

	var text bytes.Buffer
	if err := printSummary(&text, "text", results, time.Second); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(text.String(), "\n") {
		if strings.HasPrefix(l, "REJECTED ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1+2*transform.MaxRejectionExamples {
		t.Fatalf("%d REJECTED lines, want %d:\n%s", len(lines), 1+2*transform.MaxRejectionExamples, text.String())
	}
	if want := "REJECTED spot BTCUSDT 1s: 1000000 rows (ohlc 100000, parse 900000)"; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}

	var js bytes.Buffer
	if err := printSummary(&js, "json", results, time.Second); err != nil {
		t.Fatal(err)
	}
	if js.Len() > 16<<10 {
		t.Errorf("JSON summary of %d bytes", js.Len())
	}
	var got struct {
		Tasks []map[string]json.RawMessage `json:"tasks"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct{ total, byReason, examples string }{
		{"1000000", `{"ohlc":100000,"parse":900000}`, ""},
		{"0", `{}`, `[]`},
	} {
		ts := got.Tasks[i]
		if s := string(ts["rows_rejected"]); s != want.total {
			t.Errorf("task %d: rows_rejected %s, want %s", i, s, want.total)
		}
		var by map[string]int
		json.Unmarshal(ts["rejected_by_reason"], &by)
		if b, _ := json.Marshal(by); string(b) != want.byReason {
			t.Errorf("task %d: rejected_by_reason %s, want %s", i, b, want.byReason)
		}
		var ex []string
		if err := json.Unmarshal(ts["rejected_examples"], &ex); err != nil || ex == nil {
			t.Errorf("task %d: rejected_examples %s: %v", i, ts["rejected_examples"], err)
		}
		if want.examples == "" && len(ex) != 2*transform.MaxRejectionExamples {
			t.Errorf("task %d: %d examples", i, len(ex))
		}
	}
}
