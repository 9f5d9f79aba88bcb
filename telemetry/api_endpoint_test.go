package telemetry

import "testing"

// TestEndpointBounded: REST paths stay as they are; archive paths, one per
// file, collapse to one value per folder and kind, so the endpoint
// attribute cannot grow with the number of files.
func TestEndpointBounded(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v3/klines":        "/api/v3/klines",
		"/fapi/v1/exchangeInfo": "/fapi/v1/exchangeInfo",
		"/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip":          "/data/spot/monthly/klines/{symbol}/{interval}/{file}.zip",
		"/data/spot/monthly/klines/ETHUSDT/1h/ETHUSDT-1h-2023-12.zip.CHECKSUM": "/data/spot/monthly/klines/{symbol}/{interval}/{file}.zip.CHECKSUM",
		"/data/futures/um/daily/klines/BTCUSDT/5m/BTCUSDT-5m-2024-03-14.zip":   "/data/futures/um/daily/klines/{symbol}/{interval}/{file}.zip",
		"/mirror/data/futures/cm/daily/klines/BTCUSD_PERP/1d/x.zip.CHECKSUM":   "/mirror/data/futures/cm/daily/klines/{symbol}/{interval}/{file}.zip.CHECKSUM",
	} {
		if got := Endpoint(in); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", in, got, want)
		}
	}
}
