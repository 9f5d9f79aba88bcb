package transform

import (
	"strings"
	"testing"
)

func TestLookupDataset(t *testing.T) {
	for _, name := range DatasetNames() {
		d, err := LookupDataset(name)
		if err != nil || d.Name != name {
			t.Errorf("LookupDataset(%q) = %v, %v", name, d, err)
		}
		for _, a := range d.Aliases {
			if got, err := LookupDataset(a); err != nil || got != d {
				t.Errorf("alias %q: %v, %v; want %s", a, got, err, d)
			}
		}
		for _, m := range d.Markets {
			if !d.Conforms(m, d.Schema(m)) {
				t.Errorf("%s %s: its own schema does not conform", d, m)
			}
			if d.Schema(m).FieldIndices(d.Key) == nil || d.Schema(m).FieldIndices(d.Time) == nil {
				t.Errorf("%s %s: key %s or time %s is not a column", d, m, d.Key, d.Time)
			}
		}
	}
	_, err := LookupDataset("candles")
	if err == nil || !strings.Contains(err.Error(), `unknown dataset "candles": allowed are klines, trades, agg_trades`) {
		t.Errorf("unknown dataset: %v", err)
	}
}

func TestDatasetPeriod(t *testing.T) {
	// 2024-02-29 13:00 UTC
	const ms = 1709211600000
	if got := Klines.Period("1m", ms); got != "2024-02" {
		t.Errorf("klines 1m period %s", got)
	}
	if got := Klines.Period("1h", ms); got != "2024" {
		t.Errorf("klines 1h period %s", got)
	}
	if got := TradesData.Period("", ms*1000); got != "2024-02-29" {
		t.Errorf("trades period %s", got)
	}
	if d, err := LookupDataset("aggtrades"); err != nil || d != AggTradesData {
		t.Errorf("alias aggTrades is case-insensitive: %v, %v", d, err)
	}
}

func TestDatasetUnits(t *testing.T) {
	// 2024-02-29 13:00 UTC
	const ms = 1709211600000
	if got := TradesData.FromMillis(ms); got != ms*1000 {
		t.Errorf("trades FromMillis %d", got)
	}
	if got := Klines.FromMillis(ms); got != ms {
		t.Errorf("klines FromMillis %d", got)
	}
	start, end := TradesData.Day(ms*1000 + 7)
	if start != 1709164800000000 || end != start+86_400_000_000 {
		t.Errorf("trades Day [%d, %d)", start, end)
	}
	if start, end := Klines.Day(-1); start != -86_400_000 || end != 0 {
		t.Errorf("Day before the epoch [%d, %d)", start, end)
	}
}
