package collector

import (
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// aggTradesSource fetches the agg_trades dataset: data.binance.vision's
// daily and monthly `aggTrades` zips, then REST by id: spot
// /api/v3/aggTrades (weight 4) and futures /fapi|dapi/v1/aggTrades
// (weight 20), whose time windows must be shorter than an hour.
var aggTradesSource = &rowsSource{
	archive: "aggTrades",
	readCSV: func(mem memory.Allocator, m Market, r io.Reader, rej *transform.Rejections, emit func(arrow.RecordBatch) error) error {
		b, err := transform.NewAggTradesBuilder(mem, string(m))
		if err != nil {
			return err
		}
		defer b.Release()
		err = transform.ReadAggTradesCSV(r, b, transform.DefaultBatchRows, emit)
		rej.Merge(&b.Rejected)
		return err
	},
	rest: func(m Market) *restRows {
		path := map[Market]string{Spot: "/api/v3/aggTrades", USDM: "/fapi/v1/aggTrades", COINM: "/dapi/v1/aggTrades"}[m]
		return &restRows{
			path: path, limit: 1000, byTime: true, window: time.Hour - time.Millisecond,
			parse: func(mem memory.Allocator, m Market, page []byte, unit arrow.TimeUnit, rej *transform.Rejections) (arrow.RecordBatch, error) {
				b, err := transform.NewAggTradesBuilder(mem, string(m))
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
