package collector

import (
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// TestRawNameMonthlyFolder: --keep-raw keeps monthly zips under the same
// interval=1mo folder as silver, never under interval=1M (which is the 1m
// folder on a case-insensitive file system).
func TestRawNameMonthlyFolder(t *testing.T) {
	for iv, want := range map[transform.Interval]string{
		"1M": "bronze/klines/market=spot/interval=1mo/symbol=BTCUSDT/BTCUSDT-1mo-2024-01.zip",
		"1m": "bronze/klines/market=spot/interval=1m/symbol=BTCUSDT/BTCUSDT-1m-2024-01.zip",
	} {
		f := ArchiveFile{Market: Spot, Symbol: "BTCUSDT", Interval: iv, Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
		if got := f.rawName(); got != want {
			t.Errorf("%s: %s, want %s", iv, got, want)
		}
	}
}
