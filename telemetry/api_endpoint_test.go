package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestEndpointBounded: REST paths stay as they are; archive paths, one per
// file, collapse to one value per folder template, so the endpoint
// attribute cannot grow with the number of files.
func TestEndpointBounded(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v3/klines":           "/api/v3/klines",
		"/fapi/v1/exchangeInfo":    "/fapi/v1/exchangeInfo",
		"/api/v3/historicalTrades": "/api/v3/historicalTrades",
		"/api/v3/aggTrades":        "/api/v3/aggTrades",
		"/fapi/v1/aggTrades":       "/fapi/v1/aggTrades",
		"/dapi/v1/aggTrades":       "/dapi/v1/aggTrades",
		"/daily/api/v3/klines":     "/daily/api/v3/klines", // a REST base URL with a path
		"/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip":                       "/data/spot/monthly/klines/{symbol}/{interval}/{file}.zip",
		"/data/spot/monthly/klines/ETHUSDT/1h/ETHUSDT-1h-2023-12.zip.CHECKSUM":              "/data/spot/monthly/klines/{symbol}/{interval}/{file}.zip.CHECKSUM",
		"/data/futures/um/daily/klines/BTCUSDT/5m/BTCUSDT-5m-2024-03-14.zip":                "/data/futures/um/daily/klines/{symbol}/{interval}/{file}.zip",
		"/mirror/data/futures/cm/daily/klines/BTCUSD_PERP/1d/x.zip.CHECKSUM":                "/mirror/data/futures/cm/daily/klines/{symbol}/{interval}/{file}.zip.CHECKSUM",
		"/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip":                     "/data/spot/daily/trades/{symbol}/{file}.zip",
		"/data/spot/monthly/trades/ETHUSDT/ETHUSDT-trades-2023-12.zip.CHECKSUM":             "/data/spot/monthly/trades/{symbol}/{file}.zip.CHECKSUM",
		"/data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-03-14.zip":         "/data/futures/um/daily/aggTrades/{symbol}/{file}.zip",
		"/data/futures/cm/monthly/aggTrades/BTCUSD_PERP/BTCUSD_PERP-aggTrades-2024-02.zip":  "/data/futures/cm/monthly/aggTrades/{symbol}/{file}.zip",
		"/data/futures/cm/monthly/trades/BTCUSD_PERP/BTCUSD_PERP-trades-2024-02.zip":        "/data/futures/cm/monthly/trades/{symbol}/{file}.zip",
		"/data/futures/um/monthly/aggTrades/ETHUSDT/ETHUSDT-aggTrades-2024-02.zip.CHECKSUM": "/data/futures/um/monthly/aggTrades/{symbol}/{file}.zip.CHECKSUM",
	} {
		if got := Endpoint(in); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", in, got, want)
		}
		var buf [8]byte // too small: appendEndpoint must grow it
		if archiveFolder(in) >= 0 {
			if got := string(appendEndpoint(buf[:0], in)); got != want {
				t.Errorf("appendEndpoint(%q) = %q, want %q", in, got, want)
			}
		}
	}
}

func TestPathDataType(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v3/klines":            "klines",
		"/fapi/v1/klines":           "klines",
		"/dapi/v1/klines":           "klines",
		"/api/v3/trades":            "trades",
		"/api/v3/historicalTrades":  "trades",
		"/fapi/v1/historicalTrades": "trades",
		"/api/v3/aggTrades":         "agg_trades",
		"/fapi/v1/aggTrades":        "agg_trades",
		"/api/v3/exchangeInfo":      DataTypeOther,
		"/fapi/v1/markPriceKlines":  DataTypeOther, // another dataset, not klines
		"/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip":                  "klines",
		"/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip.CHECKSUM":       "trades",
		"/data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-03-14.zip":    "agg_trades",
		"/data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01.zip": "funding_rate",
		"/fapi/v1/fundingRate": "funding_rate",
		"/dapi/v1/fundingRate": "funding_rate",
	} {
		if got := PathDataType(in); got != want {
			t.Errorf("PathDataType(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTransportDataType: the bytes of a response count under the dataset
// the request's context names, else the one its path implies; requests
// for archive files count under their folder's endpoint.
func TestTransportDataType(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "0123456789") }))
	defer srv.Close()
	tel, r := newTest(t, Config{}, nil)
	client := &http.Client{Transport: tel.Metrics.WrapTransport(http.DefaultTransport, tel.Metrics.Volume("spot", "archive"))}
	get := func(ctx context.Context, path string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	ctx := context.Background()
	get(ctx, "/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip")
	get(ctx, "/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-02.zip")
	get(ctx, "/data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-02.zip")
	get(ctx, "/api/v3/exchangeInfo")
	// A trades task resolving its first id through aggTrades: its bytes.
	get(WithDataType(ctx, "trades"), "/api/v3/aggTrades")

	rm := collect(t, r)
	volume := map[string]uint64{}
	requests := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch m.Name {
			case DataVolume:
				for _, p := range m.Data.(metricdata.Histogram[int64]).DataPoints {
					if v, _ := p.Attributes.Value("market"); v.AsString() != "spot" {
						t.Errorf("volume market %q", v.AsString())
					}
					if v, _ := p.Attributes.Value("source"); v.AsString() != "archive" {
						t.Errorf("volume source %q", v.AsString())
					}
					dt, _ := p.Attributes.Value("data_type")
					volume[dt.AsString()] += p.Count
				}
			case APIRequests:
				for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
					e, _ := p.Attributes.Value(attribute.Key("endpoint"))
					requests[e.AsString()] += p.Value
				}
			}
		}
	}
	wantVolume := map[string]uint64{"trades": 3, "agg_trades": 1, DataTypeOther: 1}
	if len(volume) != len(wantVolume) {
		t.Errorf("volume responses by data_type %v, want %v", volume, wantVolume)
	}
	for k, v := range wantVolume {
		if volume[k] != v {
			t.Errorf("volume responses by data_type %v, want %v", volume, wantVolume)
			break
		}
	}
	wantReq := map[string]int64{
		"/data/spot/daily/trades/{symbol}/{file}.zip":    2,
		"/data/spot/daily/aggTrades/{symbol}/{file}.zip": 1,
		"/api/v3/exchangeInfo":                           1,
		"/api/v3/aggTrades":                              1,
	}
	if len(requests) != len(wantReq) {
		t.Errorf("requests by endpoint %v, want %v", requests, wantReq)
	}
	for k, v := range wantReq {
		if requests[k] != v {
			t.Errorf("requests by endpoint %v, want %v", requests, wantReq)
			break
		}
	}
}
