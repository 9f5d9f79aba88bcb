package storage

import "testing"

// TestKeyPathsPerDataset: every key's path parses back to the same key;
// the dataset is the folder under silver/, interval= only for kline-shaped
// datasets, and names of unknown datasets or other layouts are not keys.
func TestKeyPathsPerDataset(t *testing.T) {
	for _, tc := range []struct {
		key  Key
		path string
	}{
		{Key{Dataset: "klines", Market: "spot", Interval: "1m", Symbol: "BTCUSDT", Period: "2024-01"}, "silver/klines/market=spot/interval=1m/symbol=BTCUSDT/2024-01.parquet"},
		{Key{Dataset: "klines", Market: "coinm", Interval: "1M", Symbol: "BTCUSD_PERP", Period: "2024"}, "silver/klines/market=coinm/interval=1mo/symbol=BTCUSD_PERP/2024.parquet"},
		{Key{Dataset: "trades", Market: "spot", Symbol: "BTCUSDT", Period: "2024-02-29"}, "silver/trades/market=spot/symbol=BTCUSDT/2024-02-29.parquet"},
		{Key{Dataset: "agg_trades", Market: "usdm", Symbol: "ETHUSDT", Period: "2024-02-29"}, "silver/agg_trades/market=usdm/symbol=ETHUSDT/2024-02-29.parquet"},
	} {
		if got := tc.key.Path(); got != tc.path {
			t.Errorf("%+v: path %s, want %s", tc.key, got, tc.path)
		}
		if back, ok := ParseKey(tc.path); !ok || back != tc.key {
			t.Errorf("ParseKey(%s) = %+v, %v; want %+v", tc.path, back, ok, tc.key)
		}
	}
	for _, name := range []string{
		"silver/nosuch/market=spot/symbol=BTCUSDT/2024-01-01.parquet",
		"silver/aggTrades/market=spot/symbol=BTCUSDT/2024-01-01.parquet",          // an alias is not a folder
		"silver/trades/market=spot/interval=1m/symbol=BTCUSDT/2024-01-01.parquet", // trades have no interval=
		"silver/klines/market=spot/symbol=BTCUSDT/2024-01.parquet",                // klines need interval=
		"silver/klines/market=spot/interval=1m/symbol=BTCUSDT/.lakehouse.lock",    // not a Parquet file
		"silver/klines/market=spot/interval=1M/symbol=BTCUSDT/2024.parquet",       // legacy monthly folder
		"bronze/klines/market=spot/interval=1m/symbol=BTCUSDT/2024-01.parquet",
	} {
		if k, ok := ParseKey(name); ok {
			t.Errorf("ParseKey(%s) = %+v, want no key", name, k)
		}
	}
}
