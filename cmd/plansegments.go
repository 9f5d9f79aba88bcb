package cmd

import (
	"fmt"
	"io"

	"github.com/lakehouse-dev/lakehouse/collector"
)

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
		}
		fmt.Fprintf(w, "    %-11s [%s, %s) %s\n", s.Source, s.Start, s.End, what)
	}
}
