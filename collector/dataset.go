package collector

import (
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// rowsSource is how collect fetches a dataset whose rows carry an id
// (trades, agg_trades): its archive files and CSV dialect, and its REST
// tail. One per dataset, registered in rowsSources; the runner
// (rows_run.go), the archive planner and the writer are shared.
type rowsSource struct {
	// archive is the dataset's name on data.binance.vision: the folder
	// and the infix of its zips (trades, aggTrades).
	archive string
	// readCSV streams one archive CSV of market m into record batches of
	// the dataset's schema; emit does not own a batch. Rejected rows are
	// counted in rej.
	readCSV func(mem memory.Allocator, m Market, r io.Reader, rej *transform.Rejections, emit func(arrow.RecordBatch) error) error
	// rest pages the rows after the archive through REST; nil, or nil for
	// a market, where Binance serves none without an API key.
	rest func(m Market) *restRows
}

// rowsSources is the registry of datasets keyed by an id.
var rowsSources = map[*transform.Dataset]*rowsSource{
	transform.TradesData:    tradesSource,
	transform.AggTradesData: aggTradesSource,
}

// timeSources is the registry of small datasets keyed by time, merged
// whole per file (funding_rate.go, funding_run.go).
var timeSources = map[*transform.Dataset]*timeSource{
	transform.FundingRateData: fundingSource,
}

// archiveName is the dataset's name in data.binance.vision paths.
func archiveName(d *transform.Dataset) string {
	if s := rowsSources[d]; s != nil {
		return s.archive
	}
	if s := timeSources[d]; s != nil {
		return s.archive
	}
	return d.Name
}

// rowsBuilder is what the dataset's transform builder offers the shared
// readers below (transform.TradesBuilder, transform.AggTradesBuilder).
type rowsBuilder interface {
	AppendJSONPage(page []byte, unit arrow.TimeUnit) (int, error)
	NewRecord() arrow.RecordBatch
	Rejections() *transform.Rejections
	Release()
}

// readCSVWith makes a rowsSource.readCSV from a dataset's builder and
// CSV reader.
func readCSVWith[B rowsBuilder](newBuilder func(memory.Allocator, string) (B, error),
	read func(io.Reader, B, int, func(arrow.RecordBatch) error) error) func(memory.Allocator, Market, io.Reader, *transform.Rejections, func(arrow.RecordBatch) error) error {
	return func(mem memory.Allocator, m Market, r io.Reader, rej *transform.Rejections, emit func(arrow.RecordBatch) error) error {
		b, err := newBuilder(mem, string(m))
		if err != nil {
			return err
		}
		defer b.Release()
		err = read(r, b, transform.DefaultBatchRows, emit)
		rej.Merge(b.Rejections())
		return err
	}
}

// parsePageWith makes a restRows.parse from a dataset's builder.
func parsePageWith[B rowsBuilder](newBuilder func(memory.Allocator, string) (B, error)) func(memory.Allocator, Market, []byte, arrow.TimeUnit, *transform.Rejections) (arrow.RecordBatch, error) {
	return func(mem memory.Allocator, m Market, page []byte, unit arrow.TimeUnit, rej *transform.Rejections) (arrow.RecordBatch, error) {
		b, err := newBuilder(mem, string(m))
		if err != nil {
			return nil, err
		}
		defer b.Release()
		if _, err := b.AppendJSONPage(page, unit); err != nil {
			return nil, err
		}
		rej.Merge(b.Rejections())
		return b.NewRecord(), nil
	}
}
