package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/pflag"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// lakeOptions find an existing lake the way collect does (same --output
// default, same S3 flags) and filter its series.
type lakeOptions struct {
	output     string
	s3         s3Options
	market     string
	symbols    []string
	timeframes []string
	data       []string
}

func (o *lakeOptions) addFlags(f *pflag.FlagSet) {
	f.SetNormalizeFunc(normalizeAliases)
	f.StringVar(&o.output, "output", "./lakehouse-data", "lake root: a folder, file://PATH or s3://BUCKET/PREFIX")
	o.s3.addFlags(f)
	f.StringVar(&o.market, "market", "", "only this market: spot, usdm, coinm (default: all)")
	f.StringSliceVar(&o.symbols, "symbols", nil, "only these symbols, comma-separated (default: all)")
	f.StringSliceVar(&o.timeframes, "timeframes", nil, "only these intervals, comma-separated (default: all; alias --intervals)")
	f.StringSliceVar(&o.data, "data", nil, "only these datasets, comma-separated: "+strings.Join(append(transform.DatasetNames(), goldNames()...), ", ")+" (default: all)")
}

// lakeFilter selects series; empty fields match everything.
type lakeFilter struct {
	datasets  map[string]bool
	market    string
	symbols   map[string]bool
	intervals map[string]bool
}

func (f lakeFilter) match(s storage.Series) bool {
	return (len(f.datasets) == 0 || f.datasets[s.Dataset]) &&
		(f.market == "" || s.Market == f.market) &&
		(len(f.symbols) == 0 || f.symbols[s.Symbol]) &&
		(len(f.intervals) == 0 || s.Interval == "" || f.intervals[s.Interval])
}

// validate checks the flags; nothing is opened yet.
func (o *lakeOptions) validate() (*url.URL, storage.S3Config, lakeFilter, error) {
	var flt lakeFilter
	u, err := storage.ParseOutput(o.output)
	if err != nil {
		return nil, storage.S3Config{}, flt, usageError("%v", err)
	}
	s3, err := o.s3.config(u)
	if err != nil {
		return nil, s3, flt, err
	}
	if o.market != "" {
		m, err := collector.ParseMarket(o.market)
		if err != nil {
			return nil, s3, flt, usageError("%v", err)
		}
		flt.market = string(m)
	}
	for _, s := range splitList(o.symbols) {
		sym, err := collector.ParseSymbol(s)
		if err != nil {
			return nil, s3, flt, usageError("%v", err)
		}
		if flt.symbols == nil {
			flt.symbols = map[string]bool{}
		}
		flt.symbols[sym] = true
	}
	for _, s := range splitList(o.data) {
		d, err := transform.LookupDataset(s)
		if err != nil {
			if d, err = transform.LookupStored(s); err != nil {
				return nil, s3, flt, usageError("unknown dataset %q: allowed are %s", s, strings.Join(append(transform.DatasetNames(), goldNames()...), ", "))
			}
		}
		if flt.datasets == nil {
			flt.datasets = map[string]bool{}
		}
		flt.datasets[d.Name] = true
	}
	for _, s := range splitList(o.timeframes) {
		iv, err := transform.ParseCustomInterval(s) // gold candles: custom intervals too
		if err != nil {
			return nil, s3, flt, usageError("%v", err)
		}
		if flt.intervals == nil {
			flt.intervals = map[string]bool{}
		}
		flt.intervals[iv.String()] = true
	}
	return u, s3, flt, nil
}

// open opens the lake read-only in spirit: verify and inventory never write.
func openLake(ctx context.Context, u *url.URL, s3 storage.S3Config, logger *slog.Logger) (*storage.Store, error) {
	backend, err := storage.OpenBackendWith(ctx, u, storageOptions(s3, logger))
	if err != nil {
		return nil, err
	}
	return storage.NewStore(backend, memory.DefaultAllocator, storage.WriteOptions{}), nil
}

// lakeCatalog is an open lake and the series a filter selected, in order.
type lakeCatalog struct {
	store  *storage.Store
	series []storage.Series
	keys   map[storage.Series][]storage.Key
	// legacy are the selected monthly series' folders in the layout of an
	// older lakehouse (interval=1M), already warned about.
	legacy []storage.LegacyFolder
}

// openCatalog opens the lake and lists (names only) the selected series.
// The caller closes store.
func openCatalog(ctx context.Context, g *globalOptions, io IO, u *url.URL, s3 storage.S3Config, flt lakeFilter) (*lakeCatalog, error) {
	logger, err := g.logger(io.Err)
	if err != nil {
		return nil, err
	}
	store, err := openLake(ctx, u, s3, logger)
	if err != nil {
		return nil, &exitError{code: ExitFailed, err: err}
	}
	keys, legacy, err := store.Scan(ctx)
	if err != nil {
		store.Close()
		return nil, &exitError{code: ExitFailed, err: fmt.Errorf("list %s: %w", store.Location(), err)}
	}
	c := &lakeCatalog{store: store, keys: keys}
	for _, s := range storage.SortedSeries(keys) {
		if flt.match(s) {
			c.series = append(c.series, s)
		}
	}
	for _, l := range legacy {
		if flt.match(l.Series) {
			logger.Warn("monthly candles are in the folder an older lakehouse used; collect leaves the series alone until they are moved",
				"folder", l.Dir, "files", l.Files, "new_folder", l.Series.Dir(), "command", l.Move)
			c.legacy = append(c.legacy, l)
		}
	}
	return c, nil
}

// goldNames lists the gold datasets (lakehouse derive).
func goldNames() []string {
	var names []string
	for _, d := range transform.GoldDatasets() {
		names = append(names, d.Name)
	}
	return names
}
