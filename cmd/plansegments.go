package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
)

// plannedTask is one task of a --dry-run plan: its start resolved from the
// lake and what would serve each part of its range, or why it cannot be
// planned (an unreadable file), which fails that task alone.
type plannedTask struct {
	task collector.Task
	segs []collector.Segment
	err  error
}

// planTasks resolves what would serve each task, for --dry-run, reading
// the lake as the run would. Files that turn out to be missing fall back
// when the run happens.
func (s archiveSettings) planTasks(ctx context.Context, sink storage.Sink, tasks []collector.Task, now time.Time, heal time.Duration) []plannedTask {
	out := make([]plannedTask, len(tasks))
	for i, t := range tasks {
		pt := &out[i]
		if pt.task, pt.err = collector.ResolveStart(ctx, sink, t); pt.err != nil {
			continue
		}
		if pt.task, pt.err = collector.ResolveHeal(ctx, sink, pt.task, heal); pt.err != nil {
			continue
		}
		for _, h := range pt.task.Heal {
			pt.segs = append(pt.segs, collector.PlanTask(pt.task.Narrowed(h.Start, h.End), s.mode, now)...)
		}
		segs := collector.PlanTask(pt.task, s.mode, now)
		pt.err = collector.SkipStored(ctx, sink, pt.task, segs)
		pt.segs = append(pt.segs, segs...)
	}
	return out
}

// Statuses of the tasks of a --dry-run plan.
const (
	planPlanned  = "planned"
	planUpToDate = "up-to-date"
	planFailed   = "failed"
)

// planTask is one task of a --dry-run plan.
type planTask struct {
	Dataset   string        `json:"dataset"`
	Market    string        `json:"market"`
	Symbol    string        `json:"symbol"`
	Interval  string        `json:"interval"`
	Status    string        `json:"status"`
	Source    string        `json:"source"`
	Start     string        `json:"start,omitempty"` // unknown when failed
	End       string        `json:"end"`
	StartFrom string        `json:"start_from"`
	Files     []string      `json:"files"`
	Heal      []planRange   `json:"heal,omitempty"` // holes of earlier runs refilled first
	Segments  []planSegment `json:"segments"`
	Error     string        `json:"error,omitempty"`
}

// printPlan writes what collect would do, fetching nothing.
func printPlan(w io.Writer, format, location string, p *collectPlan, planned []plannedTask) error {
	plan := []planTask{}
	for _, pl := range planned {
		t := pl.task
		pt := planTask{Dataset: t.Data().Name, Market: string(t.Market), Symbol: t.Symbol, Interval: t.Interval.String(), Status: planPlanned, Source: string(p.source.mode),
			Start: ms(t.Start), End: ms(t.End), StartFrom: t.From, Files: []string{}, Segments: planSegmentsOf(p.source.url, pl.segs)}
		switch {
		case pl.err != nil:
			pt.Status, pt.Start, pt.Error = planFailed, "", oneLine(pl.err)
		case t.Empty() && len(t.Heal) == 0:
			pt.Status = planUpToDate
		default:
			for _, h := range t.Heal {
				pt.Heal = append(pt.Heal, planRange{Start: ms(h.Start), End: ms(h.End)})
				for _, k := range t.Narrowed(h.Start, h.End).Keys() {
					pt.Files = append(pt.Files, k.Path())
				}
			}
			if !t.Empty() {
				for _, k := range t.Keys() {
					pt.Files = append(pt.Files, k.Path())
				}
			}
			pt.Files = slices.Compact(pt.Files)
		}
		plan = append(plan, pt)
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"dry_run": true, "output": location, "tasks": plan})
	}
	fmt.Fprintf(w, "dry run: nothing is fetched or written; lake at %s\n", location)
	for _, t := range plan {
		switch t.Status {
		case planFailed:
			fmt.Fprintf(w, "%s: failed: %s\n", taskLabel(t.Dataset, t.Market, t.Symbol, t.Interval), t.Error)
			continue
		case planUpToDate:
			fmt.Fprintf(w, "%s: up to date (next row %s)\n", taskLabel(t.Dataset, t.Market, t.Symbol, t.Interval), t.Start)
			continue
		}
		fmt.Fprintf(w, "%s: source %s [%s, %s) from %s, %d file(s)\n", taskLabel(t.Dataset, t.Market, t.Symbol, t.Interval), t.Source, t.Start, t.End, t.StartFrom, len(t.Files))
		for _, h := range t.Heal {
			fmt.Fprintf(w, "    heal [%s, %s): not stored by an earlier run\n", h.Start, h.End)
		}
		printSegments(w, t.Segments)
		for i, f := range t.Files {
			if len(t.Files) > 6 && i == 3 {
				fmt.Fprintf(w, "    ... %d more\n", len(t.Files)-5)
			}
			if len(t.Files) <= 6 || i < 3 || i >= len(t.Files)-2 {
				fmt.Fprintf(w, "    %s\n", f)
			}
		}
	}
	return nil
}

func failedPlans(plan []plannedTask) int {
	n := 0
	for _, pt := range plan {
		if pt.err != nil {
			n++
		}
	}
	return n
}

// planRange is [start, end) in a --dry-run plan.
type planRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// planSegment is one part of a task's range in a --dry-run plan and what
// would serve it: a monthly or daily zip (its URL), REST, or nothing
// (already stored, or not yet published with --source archive).
type planSegment struct {
	Source string `json:"source"`
	Start  string `json:"start"`
	End    string `json:"end"`
	URL    string `json:"url,omitempty"`
}

func planSegmentsOf(archiveURL string, segs []collector.Segment) []planSegment {
	out := make([]planSegment, 0, len(segs))
	for _, s := range segs {
		ps := planSegment{Source: s.Kind, Start: ms(s.Start), End: ms(s.End)}
		if s.File != nil {
			ps.URL = archiveURL + s.File.Path()
		}
		out = append(out, ps)
	}
	return out
}

// printSegments lists a task's segments, eliding the middle of long lists.
func printSegments(w io.Writer, segs []planSegment) {
	const head, tail = 4, 3
	for i, s := range segs {
		if len(segs) > head+tail+1 && i == head {
			fmt.Fprintf(w, "    ... %d more\n", len(segs)-head-tail)
		}
		if len(segs) > head+tail+1 && i >= head && i < len(segs)-tail {
			continue
		}
		what := s.URL
		switch s.Source {
		case collector.SegmentAPI:
			what = "REST"
		case collector.SegmentStored:
			what = "already stored, skipped"
		case collector.SegmentUnpublished:
			what = "not published yet, not fetched (--source archive)"
		case collector.SegmentArchiveOnly:
			what = "archive only (no key-free REST source): fetched once Binance publishes the day's file"
		}
		fmt.Fprintf(w, "    %-11s [%s, %s) %s\n", s.Source, s.Start, s.End, what)
	}
}
