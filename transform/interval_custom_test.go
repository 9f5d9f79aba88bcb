package transform

import (
	"testing"
	"time"
)

// TestCustomIntervals: custom gold intervals parse, open on their grid
// (weeks on Mondays, months on the 1st, N units since the epoch) and are
// cut into files like Binance's.
func TestCustomIntervals(t *testing.T) {
	at := time.Date(2024, 5, 17, 13, 47, 12, 0, time.UTC) // a Friday, epoch day 19860
	for _, tc := range []struct {
		in         string
		floor      time.Time
		next       time.Time
		period     string
		subMinute  bool
		monthly    bool
		wantParsed string
	}{
		{"10m", time.Date(2024, 5, 17, 13, 40, 0, 0, time.UTC), time.Date(2024, 5, 17, 13, 50, 0, 0, time.UTC), "2024-05", false, false, "10m"},
		{"45m", time.Date(2024, 5, 17, 13, 30, 0, 0, time.UTC), time.Date(2024, 5, 17, 14, 15, 0, 0, time.UTC), "2024-05", false, false, "45m"},
		{"2d", time.Date(2024, 5, 17, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 19, 0, 0, 0, 0, time.UTC), "2024", false, false, "2d"},
		{"2w", time.Date(2024, 5, 13, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 27, 0, 0, 0, 0, time.UTC), "2024", false, false, "2w"},
		{"3M", time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), "2024", false, true, "3M"},
		{"3mo", time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), "2024", false, true, "3M"},
		{"10s", time.Date(2024, 5, 17, 13, 47, 10, 0, time.UTC), time.Date(2024, 5, 17, 13, 47, 20, 0, time.UTC), "2024-05-17", true, false, "10s"},
		{"1w", time.Date(2024, 5, 13, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC), "2024", false, false, "1w"},
	} {
		iv, err := ParseCustomInterval(tc.in)
		if err != nil || string(iv) != tc.wantParsed {
			t.Fatalf("%s: parsed %q, %v", tc.in, iv, err)
		}
		f := iv.Floor(at)
		if f != tc.floor.UnixMilli() || iv.Next(f) != tc.next.UnixMilli() || iv.Period(f) != tc.period || iv.subMinute() != tc.subMinute || iv.Monthly() != tc.monthly || !iv.Aligned(f) {
			t.Errorf("%s: floor %v next %v period %s subMinute %v monthly %v aligned %v", tc.in, time.UnixMilli(f).UTC(), time.UnixMilli(iv.Next(f)).UTC(), iv.Period(f), iv.subMinute(), iv.Monthly(), iv.Aligned(f))
		}
	}
	for _, bad := range []string{"", "m", "0m", "-5m", "7x", "1.5h", "05m", "1001d"} {
		if iv, err := ParseCustomInterval(bad); err == nil {
			t.Errorf("%q parsed as %q", bad, iv)
		}
	}
	// Binance's own names keep their exact spelling.
	if _, err := ParseInterval("10m"); err == nil {
		t.Error("collect's ParseInterval accepts a custom interval")
	}
}
