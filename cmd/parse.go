package cmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the accepted --start/--end forms; all are UTC unless an
// offset is given.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseTime reads a date (00:00 UTC of that day) or an RFC 3339 time.
func parseTime(flag, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unparsable --%s %q: use a date (2024-01-31) or RFC 3339 time (2024-01-31T15:04:05Z), UTC", flag, s)
}

// parseDuration extends time.ParseDuration with days (d) and weeks (w).
func parseDuration(flag, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("unparsable --%s %q: use a positive duration such as 24h, 90m, 7d or 2w", flag, s)
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, bad
		}
		d = time.Duration(v * float64(24*time.Hour))
	} else if n, ok := strings.CutSuffix(s, "w"); ok {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, bad
		}
		d = time.Duration(v * float64(7*24*time.Hour))
	} else {
		v, err := time.ParseDuration(s)
		if err != nil {
			return 0, bad
		}
		d = v
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}

// splitList splits comma-separated flag values (a flag may also repeat),
// dropping empty items and duplicates, keeping order.
func splitList(values []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item != "" && !seen[item] {
				seen[item] = true
				out = append(out, item)
			}
		}
	}
	return out
}

// parseRange reads optional --start and --end into ms (0 when absent), a
// usage error when either is unparsable or start is not before end.
func parseRange(start, end string) (from, to int64, err error) {
	if start != "" {
		t, err := parseTime("start", start)
		if err != nil {
			return 0, 0, usageError("%v", err)
		}
		from = t.UnixMilli()
	}
	if end != "" {
		t, err := parseTime("end", end)
		if err != nil {
			return 0, 0, usageError("%v", err)
		}
		to = t.UnixMilli()
	}
	if from != 0 && to != 0 && from >= to {
		return 0, 0, usageError("--start %s is not before --end %s", start, end)
	}
	return from, to, nil
}
