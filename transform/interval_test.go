package transform

import (
	"testing"
	"time"
)

func ms(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

func TestParseInterval(t *testing.T) {
	for _, iv := range Intervals {
		got, err := ParseInterval(string(iv))
		if err != nil || got != iv {
			t.Errorf("ParseInterval(%q) = %q, %v", iv, got, err)
		}
	}
	if got, err := ParseInterval("1mo"); err != nil || got != "1M" {
		t.Errorf("1mo -> %q, %v", got, err)
	}
	for _, bad := range []string{"", "2m", "1H", "60s", "1y", "m1"} {
		if _, err := ParseInterval(bad); err == nil {
			t.Errorf("ParseInterval(%q) accepted", bad)
		}
	}
}

func TestIntervalGrid(t *testing.T) {
	tests := []struct {
		iv        Interval
		open      string
		next      string
		period    string
		periodEnd string
	}{
		{"1s", "2024-03-31T23:59:59Z", "2024-04-01T00:00:00Z", "2024-03-31", "2024-04-01T00:00:00Z"},
		{"1m", "2024-02-29T23:59:00Z", "2024-03-01T00:00:00Z", "2024-02", "2024-03-01T00:00:00Z"},
		{"30m", "2023-12-31T23:30:00Z", "2024-01-01T00:00:00Z", "2023-12", "2024-01-01T00:00:00Z"},
		{"1h", "2024-12-31T23:00:00Z", "2025-01-01T00:00:00Z", "2024", "2025-01-01T00:00:00Z"},
		{"1w", "2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z", "2024", "2025-01-01T00:00:00Z"},
		{"1M", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024", "2025-01-01T00:00:00Z"},
		{"1M", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024", "2025-01-01T00:00:00Z"},
		{"3d", "2023-12-31T00:00:00Z", "2024-01-03T00:00:00Z", "2023", "2024-01-01T00:00:00Z"},
	}
	for _, tc := range tests {
		open := ms(tc.open)
		if !tc.iv.Aligned(open) {
			t.Errorf("%s %s not aligned", tc.iv, tc.open)
		}
		if got := tc.iv.Next(open); got != ms(tc.next) {
			t.Errorf("%s Next(%s) = %s", tc.iv, tc.open, time.UnixMilli(got).UTC())
		}
		if got := tc.iv.CloseTime(open); got != ms(tc.next)-1 {
			t.Errorf("%s CloseTime(%s) = %d", tc.iv, tc.open, got)
		}
		if got := tc.iv.Period(open); got != tc.period {
			t.Errorf("%s Period(%s) = %s, want %s", tc.iv, tc.open, got, tc.period)
		}
		if _, end := tc.iv.PeriodBounds(open); end != ms(tc.periodEnd) {
			t.Errorf("%s PeriodBounds(%s) end = %s", tc.iv, tc.open, time.UnixMilli(end).UTC())
		}
		if got := tc.iv.Floor(time.UnixMilli(open + 1)); got != open {
			t.Errorf("%s Floor(open+1ms) = %d, want %d", tc.iv, got, open)
		}
		if got := tc.iv.Ceil(time.UnixMilli(open + 1)); got != ms(tc.next) {
			t.Errorf("%s Ceil(open+1ms) = %d, want next", tc.iv, got)
		}
	}
	if Interval("1w").Aligned(ms("2024-01-03T00:00:00Z")) {
		t.Error("a Wednesday is not on the weekly grid")
	}
	if Interval("1M").Aligned(ms("2024-01-02T00:00:00Z")) {
		t.Error("the 2nd is not on the monthly grid")
	}
	if Interval("1h").Aligned(ms("2024-01-01T00:30:00Z")) {
		t.Error("half past is not on the hourly grid")
	}
}
