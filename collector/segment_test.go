package collector

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/transform"
)

func ms(s string) int64 {
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli()
		}
	}
	panic(s)
}

// describe renders segments compactly: "monthly 2024-01", "daily 03-01",
// "api 2024-03-15T00:00..2024-03-15T12:35".
func describe(segs []Segment) string {
	var out []string
	for _, s := range segs {
		if s.File != nil {
			layout := "2006-01"
			if s.File.Daily {
				layout = "01-02"
			}
			out = append(out, s.Kind+" "+s.File.Date.Format(layout))
			continue
		}
		out = append(out, fmt.Sprintf("%s %s..%s", s.Kind, time.UnixMilli(s.Start).UTC().Format("2006-01-02T15:04"), time.UnixMilli(s.End).UTC().Format("2006-01-02T15:04")))
	}
	return strings.Join(out, ", ")
}

func TestPlanSegments(t *testing.T) {
	now := time.Date(2024, 3, 3, 12, 34, 56, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		iv         transform.Interval
		start, end string
		mode       SourceMode
		want       string
	}{
		{"api", "1m", "2024-01-01", "2024-03-03T12:35:00Z", SourceAPI, "api 2024-01-01T00:00..2024-03-03T12:35"},
		{"auto: months, days, today", "1m", "2024-01-01", "2024-03-03T12:35:00Z", SourceAuto,
			"monthly 2024-01, monthly 2024-02, daily 03-01, daily 03-02, api 2024-03-03T00:00..2024-03-03T12:35"},
		{"archive: today unpublished", "1m", "2024-01-30", "2024-03-03T12:35:00Z", SourceArchive,
			"daily 01-30, daily 01-31, monthly 2024-02, daily 03-01, daily 03-02, unpublished 2024-03-03T00:00..2024-03-03T12:35"},
		{"partial day start and end", "1h", "2024-01-31T05:00:00Z", "2024-02-02T07:00:00Z", SourceAuto, "daily 01-31, daily 02-01, daily 02-02"},
		{"1s: daily only", "1s", "2024-02-28", "2024-03-01", SourceAuto, "daily 02-28, daily 02-29"},
		{"1M: months, then REST", "1M", "2023-12-01", "2024-04-01", SourceAuto, "monthly 2023-12, monthly 2024-01, monthly 2024-02, api 2024-03-01T00:00..2024-04-01T00:00"},
		{"1w: month not closed", "1w", "2024-01-01", "2024-03-04", SourceAuto, "monthly 2024-01, api 2024-02-01T00:00..2024-03-04T00:00"},
		{"empty", "1m", "2024-03-01", "2024-03-01", SourceAuto, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task := Task{Market: Spot, Symbol: "BTCUSDT", Interval: tc.iv, Start: tc.iv.Ceil(time.UnixMilli(ms(tc.start))), End: ms(tc.end)}
			got := PlanSegments(task, tc.mode, now)
			// Segments tile the task range in order.
			at := task.Start
			for _, s := range got {
				if s.Start != at || s.End <= s.Start {
					t.Fatalf("segment %+v does not continue at %d", s, at)
				}
				at = s.End
			}
			if len(got) > 0 && at != task.End {
				t.Fatalf("segments end at %d, task at %d", at, task.End)
			}
			if d := describe(got); d != tc.want {
				t.Errorf("plan\n got %s\nwant %s", d, tc.want)
			}
		})
	}
}

func TestGridCount(t *testing.T) {
	for _, tc := range []struct {
		iv         transform.Interval
		start, end string
		want       int64
	}{
		{"1m", "2024-02-01", "2024-03-01", 29 * 1440},
		{"1h", "2024-01-01T00:30:00Z", "2024-01-01T03:00:00Z", 2},
		{"1M", "2023-01-01", "2024-01-01", 12},
		{"1d", "2024-01-01", "2024-01-01", 0},
	} {
		if got := tc.iv.Count(ms(tc.start), ms(tc.end)); got != tc.want {
			t.Errorf("%s [%s, %s): %d, want %d", tc.iv, tc.start, tc.end, got, tc.want)
		}
	}
}
