package telemetry

import (
	"context"
	"time"
)

// Workflow statuses.
const (
	WorkflowSuccess = "success"
	WorkflowFailure = "failure"
)

// Workflow is one run of a named workflow ("collect"), active from
// StartWorkflow until End.
type Workflow struct {
	m     *Metrics
	name  string
	start time.Time
	ended bool
}

// StartWorkflow marks a workflow run active.
func (m *Metrics) StartWorkflow(name string) *Workflow {
	m.gauges.workflows.Add(1)
	return &Workflow{m: m, name: name, start: time.Now()}
}

// End records the run's outcome and duration; later calls do nothing.
func (w *Workflow) End(ctx context.Context, failed bool) {
	if w == nil || w.ended {
		return
	}
	w.ended = true
	w.m.gauges.workflows.Add(-1)
	status := WorkflowSuccess
	if failed {
		status = WorkflowFailure
	}
	opt := w.m.caches.workflow.get(attrVals{w.name, status})
	w.m.executions.Add(ctx, 1, opt.add...)
	w.m.wfDuration.Record(ctx, time.Since(w.start).Seconds(), opt.rec...)
}
