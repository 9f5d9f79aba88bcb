package binancetest

import (
	"fmt"
	"testing"
	"time"
)

func utc(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestMonthAndWeekAlignment(t *testing.T) {
	s, _ := newTest(t)
	tests := []struct {
		name  string
		path  string
		start time.Time
		want  []time.Time // open times; each close must be the next open - 1ms
	}{
		{"1M spot across leap February", "/api/v3/klines?symbol=BTCUSDT&interval=1M", utc(2023, 11, 15),
			[]time.Time{utc(2023, 12, 1), utc(2024, 1, 1), utc(2024, 2, 1), utc(2024, 3, 1)}},
		{"1M usdm", "/fapi/v1/klines?symbol=BTCUSDT&interval=1M", utc(2023, 1, 1),
			[]time.Time{utc(2023, 1, 1), utc(2023, 2, 1), utc(2023, 3, 1)}},
		{"1w starts Monday", "/api/v3/klines?symbol=BTCUSDT&interval=1w", utc(2024, 1, 3),
			[]time.Time{utc(2024, 1, 8), utc(2024, 1, 15), utc(2024, 1, 22)}},
		{"1w coinm", "/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1w", utc(2023, 12, 31),
			[]time.Time{utc(2024, 1, 1), utc(2024, 1, 8)}},
		{"3d on epoch multiples", "/api/v3/klines?symbol=BTCUSDT&interval=3d", utc(2024, 1, 1),
			[]time.Time{utc(2024, 1, 3), utc(2024, 1, 6), utc(2024, 1, 9)}}, // 2024-01-03 is day 19725 = 3*6575
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, s, fmt.Sprintf("%s&startTime=%d&limit=%d", tc.path, tc.start.UnixMilli(), len(tc.want)))
			ks := parseKlines(t, r.body)
			if len(ks) != len(tc.want) {
				t.Fatalf("got %d candles, want %d: %s", len(ks), len(tc.want), r.body)
			}
			for i, k := range ks {
				if k.OpenTime != tc.want[i].UnixMilli() {
					t.Errorf("candle %d opens %v, want %v", i, time.UnixMilli(k.OpenTime).UTC(), tc.want[i])
				}
			}
			iv := intervals[tc.path[len(tc.path)-2:]]
			for _, k := range ks {
				if want := iv.next(k.OpenTime) - 1; k.CloseTime != want {
					t.Errorf("candle %v closes %v, want %v", time.UnixMilli(k.OpenTime).UTC(), time.UnixMilli(k.CloseTime).UTC(), time.UnixMilli(want).UTC())
				}
			}
		})
	}
	// The explicit month ends, including the leap day.
	ks := s.Klines(Spot, "BTCUSDT", "1M", utc(2024, 1, 1), utc(2024, 3, 1))
	if len(ks) != 2 || ks[0].CloseTime != utc(2024, 2, 1).UnixMilli()-1 || ks[1].CloseTime != utc(2024, 3, 1).UnixMilli()-1 {
		t.Fatalf("month closes: %+v", ks)
	}
}

func TestFixedIntervalsAlign(t *testing.T) {
	s, _ := newTest(t)
	for name, iv := range intervals {
		if iv.month || name == "1w" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			ks := parseKlines(t, get(t, s, "/api/v3/klines?symbol=SOLUSDT&limit=20&interval="+name).body)
			for i, k := range ks {
				if k.OpenTime%iv.ms != 0 || k.CloseTime != k.OpenTime+iv.ms-1 {
					t.Fatalf("candle %d: open %d close %d not on the %d ms grid", i, k.OpenTime, k.CloseTime, iv.ms)
				}
				if i > 0 && k.OpenTime != ks[i-1].CloseTime+1 {
					t.Fatalf("candle %d not contiguous", i)
				}
			}
		})
	}
}

func TestIntervalArithmetic(t *testing.T) {
	w := intervals["1w"]
	mon := utc(1969, 12, 29).UnixMilli() // before the epoch: floorDiv must round down
	if got := w.floor(mon + 1000); got != mon {
		t.Fatalf("1w floor before epoch = %v", time.UnixMilli(got).UTC())
	}
	m := intervals["1M"]
	if got := m.prev(utc(2024, 3, 1).UnixMilli()); got != utc(2024, 2, 1).UnixMilli() {
		t.Fatalf("1M prev = %v", time.UnixMilli(got).UTC())
	}
	if got := m.ceil(utc(2024, 2, 1).UnixMilli() + 1); got != utc(2024, 3, 1).UnixMilli() {
		t.Fatalf("1M ceil = %v", time.UnixMilli(got).UTC())
	}
}
