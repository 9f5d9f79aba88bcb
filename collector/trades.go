package collector

import (
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// tradesSource fetches the trades dataset: data.binance.vision's daily and
// monthly `trades` zips, then spot's /api/v3/historicalTrades by id
// (weight 25, no API key). Futures serve trades over REST only with an
// API key and for a month, so their trades come from the archive alone,
// which publishes a day the next morning.
var tradesSource = &rowsSource{
	archive: "trades",
	readCSV: func(mem memory.Allocator, m Market, r io.Reader, rej *transform.Rejections, emit func(arrow.RecordBatch) error) error {
		b, err := transform.NewTradesBuilder(mem, string(m))
		if err != nil {
			return err
		}
		defer b.Release()
		err = transform.ReadTradesCSV(r, b, transform.DefaultBatchRows, emit)
		rej.Merge(&b.Rejected)
		return err
	},
	rest: func(m Market) *restRows {
		if m != Spot {
			return nil
		}
		return &restRows{
			path: "/api/v3/historicalTrades", limit: 1000, byTime: false,
			parse: func(mem memory.Allocator, m Market, page []byte, unit arrow.TimeUnit, rej *transform.Rejections) (arrow.RecordBatch, error) {
				b, err := transform.NewTradesBuilder(mem, string(m))
				if err != nil {
					return nil, err
				}
				defer b.Release()
				if _, err := b.AppendJSONPage(page, unit); err != nil {
					return nil, err
				}
				rej.Merge(&b.Rejected)
				return b.NewRecord(), nil
			},
		}
	},
}
