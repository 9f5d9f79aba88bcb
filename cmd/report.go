package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// reportConcurrency bounds the series whose footers are read at once (on
// S3 each footer is a request or two).
const reportConcurrency = 8

type reportOptions struct {
	io     IO
	global *globalOptions
	lake   lakeOptions
	format string
}

// reportSeries is one series of the report: inventory's totals and a
// status per UTC day from FirstDay on (Days: c complete, p partial, m
// missing, g gap at Binance), with a line for each day not complete.
type reportSeries struct {
	inventoryRow
	FirstDay string            `json:"first_day,omitempty"`
	Days     string            `json:"days"`
	Notes    map[string]string `json:"notes,omitempty"`
	Complete int               `json:"complete_days"`
	Partial  int               `json:"partial_days"`
	Missing  int               `json:"missing_days"`
	Gap      int               `json:"gap_days"`
	Error    string            `json:"error,omitempty"` // the series could not be read
	Note     string            `json:"note,omitempty"`  // why it has no calendar
}

// reportData is what the page shows; --format json prints it as is.
type reportData struct {
	Location  string         `json:"location"`
	Generated string         `json:"generated"`
	Version   string         `json:"version"`
	Series    []reportSeries `json:"series"`
}

// NewCmdReport builds `lakehouse report`.
func NewCmdReport(io IO, g *globalOptions) *cobra.Command {
	o := &reportOptions{io: io, global: g}
	c := &cobra.Command{
		Use:   "report",
		Short: "Write an HTML coverage report of the lake: a calendar of complete, partial, missing and gap days per series",
		Long: `report writes one self-contained HTML file (inline CSS, SVG and JavaScript; no
network, works opened from disk) with, per dataset/market/interval/symbol, a calendar
of UTC days coloured

  complete        every row the day should have is stored
  partial         some of the day's rows are missing
  missing         none of the day's rows is stored
  gap at Binance  nothing missing, but Binance confirmed some or all of the day empty

and a table of first and last row, freshness, rows, files and bytes that sorts by
any column and filters by name and status. Days run from a series' first stored row
to its last: a day before or after them is not stored, not missing. The calendars
share one time axis, one cell a day, or one cell a month (its worst day) when the
lake spans more than 120 days; a row opens that series' calendar of days.

klines: a candle is missing when it is neither stored nor recorded as confirmed empty
at Binance (the file metadata entry lakehouse.source_gaps, written by collect). Days
are cut into candles for intervals up to 1d; a 3d, 1w or 1M candle gives each of its
days its own status. trades and agg_trades (one file a day, keyed by id): a day with
rows is complete, partial when its footer shows ids missing (fewer rows than its id
range, or a first id that does not follow the previous day's last) - except futures
trades, whose ids skip values of their own - and missing without a file with rows.
Series of other shapes (derived data) are listed with their totals, without a calendar.

report reads the Parquet footers only, so it is cheap on S3, with one exception: a
klines file whose footer shows fewer candles than the grid between its first and last
candle is read once (one batch) to find where its missing candles are.`,
		Example: `  lakehouse report --output ./lakehouse-data > lake.html
  lakehouse report --output s3://bucket/lake --market usdm --data klines > usdm.html
  lakehouse report --format json | jq '.series[] | select(.missing_days > 0)'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return o.run(c.Context()) },
	}
	o.lake.addFlags(c.Flags())
	c.Flags().StringVar(&o.format, "format", "html", "output: html (one self-contained page), json (the page's data)")
	return c
}

func (o *reportOptions) run(ctx context.Context) error {
	u, s3, flt, err := o.lake.validate()
	if err != nil {
		return err
	}
	if o.format != "html" && o.format != "json" {
		return usageError("unknown --format %q: allowed are html, json", o.format)
	}
	logger, err := o.global.logger(o.io.Err)
	if err != nil {
		return err
	}
	cat, err := openCatalog(ctx, o.global, o.io, u, s3, flt)
	if err != nil {
		return err
	}
	defer cat.store.Close()
	now := o.io.Now().UTC()
	data := reportData{Location: cat.store.Location(), Generated: now.Format(time.RFC3339), Version: Version(),
		Series: make([]reportSeries, len(cat.series))}
	var g errgroup.Group
	g.SetLimit(reportConcurrency)
	for i, s := range cat.series {
		g.Go(func() error {
			data.Series[i] = reportOne(ctx, cat.store, s, cat.keys[s], now)
			return nil
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return &exitError{code: ExitFailed, err: err}
	}
	for _, s := range data.Series {
		if s.Error != "" {
			logger.Warn("series left out of the calendar", "series", s.Dataset+" "+s.Market+" "+s.Interval+" "+s.Symbol, "err", s.Error)
		}
	}
	if o.format == "json" {
		enc := json.NewEncoder(o.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(data)
	}
	return writeReportHTML(o.io.Out, data)
}

// reportOne reads a series' footers once (footerCache) for its totals and
// its days. A series that cannot be read is listed with its error.
func reportOne(ctx context.Context, sink storage.Sink, s storage.Series, keys []storage.Key, now time.Time) reportSeries {
	fc := newFooterCache(sink, s, keys)
	days, err := seriesCoverage(ctx, fc, s, keys, now)
	rs := reportSeries{inventoryRow: inventoryOne(ctx, fc, s, keys, now)}
	if errors.Is(err, errNoCalendar) {
		rs.Note = err.Error()
		return rs
	}
	if err != nil {
		rs.Error = err.Error()
		return rs
	}
	if len(days.status) == 0 {
		return rs
	}
	rs.FirstDay = time.UnixMilli(days.first).UTC().Format(time.DateOnly)
	rs.Days = string(days.status)
	for _, st := range days.status {
		switch st {
		case dayComplete:
			rs.Complete++
		case dayPartial:
			rs.Partial++
		case dayMissing:
			rs.Missing++
		case dayGap:
			rs.Gap++
		}
	}
	for i, n := range days.notes {
		if rs.Notes == nil {
			rs.Notes = map[string]string{}
		}
		rs.Notes[time.UnixMilli(days.first+int64(i)*reportDayMs).UTC().Format(time.DateOnly)] = n
	}
	return rs
}

// errNoCalendar marks a dataset whose days the report has no rule for.
var errNoCalendar = errors.New("no calendar for this dataset")

// The coverage rules of report_days.go, by the shape of a dataset.
const (
	ruleCandles = "candles" // an interval grid keyed by open time: klineDays
	ruleIDs     = "ids"     // rows keyed by a Binance id, a file a day: idDays
)

// coverageRule is the rule that colours a dataset's days, "" for shapes
// it does not know (derived data keyed otherwise): those series are listed
// without a calendar.
func coverageRule(d *transform.Dataset) string {
	switch {
	case d.Intervals && d.Key == d.Time:
		return ruleCandles
	case !d.Intervals && d.DailyFiles && d.Key != d.Time:
		return ruleIDs
	}
	return ""
}

// seriesCoverage applies the dataset's coverage rule.
func seriesCoverage(ctx context.Context, sink storage.Sink, s storage.Series, keys []storage.Key, now time.Time) (seriesDays, error) {
	d, err := transform.LookupStored(s.Dataset)
	if err != nil {
		return seriesDays{}, err
	}
	switch coverageRule(d) {
	case ruleCandles:
		iv, err := transform.ParseCustomInterval(s.Interval)
		if err != nil {
			return seriesDays{}, err
		}
		cv, err := collector.KlineCoverage(ctx, sink, s, iv, 0, 0)
		if err != nil {
			return seriesDays{}, err
		}
		return klineDays(cv, iv, now.UnixMilli()), nil
	case ruleIDs:
		metas := make([]storage.FileMeta, 0, len(keys))
		for _, k := range keys {
			fm, err := sink.Meta(ctx, k)
			if err != nil {
				return seriesDays{}, err
			}
			if fm.Rows > 0 && !fm.HasStats {
				return seriesDays{}, fmt.Errorf("read the footer of %s: no column statistics", k.Path())
			}
			metas = append(metas, fm)
		}
		return idDays(metas, idsContiguous(d, s.Market))
	}
	return seriesDays{}, errNoCalendar
}

// footerCache is a series' view of the lake for the report: List answers
// from the catalog and Meta reads each footer once, so that the coverage
// and the totals of a series cost one footer read per file. Everything
// else goes to the lake.
type footerCache struct {
	storage.Sink
	series storage.Series
	keys   []storage.Key
	metas  map[storage.Key]footerRead
}

type footerRead struct {
	fm  storage.FileMeta
	err error
}

func newFooterCache(sink storage.Sink, s storage.Series, keys []storage.Key) *footerCache {
	return &footerCache{Sink: sink, series: s, keys: keys, metas: make(map[storage.Key]footerRead, len(keys))}
}

func (c *footerCache) List(ctx context.Context, s storage.Series) ([]storage.Key, error) {
	if s != c.series {
		return c.Sink.List(ctx, s)
	}
	return append([]storage.Key(nil), c.keys...), nil
}

func (c *footerCache) Meta(ctx context.Context, k storage.Key) (storage.FileMeta, error) {
	if r, ok := c.metas[k]; ok {
		return r.fm, r.err
	}
	fm, err := c.Sink.Meta(ctx, k)
	if err != nil && ctx.Err() != nil {
		return fm, err // not kept: a cancelled read says nothing of the file
	}
	c.metas[k] = footerRead{fm, err}
	return fm, err
}
