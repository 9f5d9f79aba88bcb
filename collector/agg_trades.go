package collector

import (
	"time"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// aggTradesSource fetches the agg_trades dataset: data.binance.vision's
// daily and monthly `aggTrades` zips, then REST by id: spot
// /api/v3/aggTrades (weight 4) and futures /fapi|dapi/v1/aggTrades
// (weight 20), whose time windows must be shorter than an hour.
var aggTradesSource = &rowsSource{
	archive: "aggTrades",
	readCSV: readCSVWith(transform.NewAggTradesBuilder, transform.ReadAggTradesCSV),
	rest: func(m Market) *restRows {
		path := map[Market]string{Spot: "/api/v3/aggTrades", USDM: "/fapi/v1/aggTrades", COINM: "/dapi/v1/aggTrades"}[m]
		return &restRows{path: path, limit: 1000, byTime: true, window: time.Hour - time.Millisecond,
			parse: parsePageWith(transform.NewAggTradesBuilder)}
	},
}
