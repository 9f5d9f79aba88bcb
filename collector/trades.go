package collector

import "github.com/lakehouse-dev/lakehouse/transform"

// tradesSource fetches the trades dataset: data.binance.vision's daily and
// monthly `trades` zips, then spot's /api/v3/historicalTrades by id
// (weight 25, no API key). Futures serve trades over REST only with an
// API key and for a month, so their trades come from the archive alone,
// which publishes a day the next morning.
var tradesSource = &rowsSource{
	archive: "trades",
	readCSV: readCSVWith(transform.NewTradesBuilder, transform.ReadTradesCSV),
	rest: func(m Market) *restRows {
		if m != Spot {
			return nil
		}
		return &restRows{path: "/api/v3/historicalTrades", limit: 1000, parse: parsePageWith(transform.NewTradesBuilder)}
	},
}
