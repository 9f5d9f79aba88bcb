package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// goldOptions say what derive builds (shared by derive and collect --derive).
type goldOptions struct {
	gold       []string // products: candles, daily_summary, trade_bars
	timeframes []string // candle intervals
	bars       []string // trade bar specs
}

// goldPlan is goldOptions validated.
type goldPlan struct {
	candles   []transform.Interval
	daily     bool
	bars      []transform.BarSpec
	intervals map[string]bool // candle sources needed: 1m, 1s
}

func (o *goldOptions) addFlags(f *pflag.FlagSet, prefix string) {
	f.StringSliceVar(&o.gold, prefix+"gold", []string{"candles", "daily_summary"}, "gold datasets to build: candles, daily_summary, trade_bars (trade_bars needs --"+prefix+"bar)")
	f.StringSliceVar(&o.timeframes, prefix+"timeframes", []string{"1h", "1d"}, "candle intervals to build from 1m (1s for sub-minute ones): Binance's (3m .. 1M) or custom (2m, 10m, 45m, 2d, 2w, 3M, 10s)")
	f.StringSliceVar(&o.bars, prefix+"bar", nil, "trade bars to build from trades: time:DURATION (time:1s, time:100ms), volume:BASE (volume:50), dollar:QUOTE (dollar:1000000)")
}

func (o *goldOptions) validate(prefix string) (goldPlan, error) {
	var p goldPlan
	p.intervals = map[string]bool{}
	products := splitList(o.gold)
	if len(o.bars) > 0 && !slices.Contains(products, transform.TradeBarsData.Name) {
		products = append(products, transform.TradeBarsData.Name)
	}
	for _, g := range products {
		switch g {
		case transform.CandlesData.Name:
			for _, s := range splitList(o.timeframes) {
				iv, err := transform.ParseCustomInterval(s)
				if err != nil {
					return p, usageError("--%stimeframes: %v", prefix, err)
				}
				if iv == "1s" || iv == "1m" {
					return p, usageError("--%stimeframes %s: candles are built from 1m (1s below a minute); %s is silver already", prefix, iv, iv)
				}
				if !slices.Contains(p.candles, iv) {
					p.candles = append(p.candles, iv)
					p.intervals[transform.CandleSource(iv).String()] = true
				}
			}
			if len(p.candles) == 0 {
				return p, usageError("--%stimeframes is empty, e.g. --%stimeframes 1h,1d", prefix, prefix)
			}
		case transform.DailySummaryData.Name:
			p.daily = true
			p.intervals["1m"] = true
		case transform.TradeBarsData.Name:
			for _, s := range splitList(o.bars) {
				b, err := transform.ParseBarSpec(s)
				if err != nil {
					return p, usageError("--%sbar: %v", prefix, err)
				}
				if !slices.Contains(p.bars, b) {
					p.bars = append(p.bars, b)
				}
			}
			if len(p.bars) == 0 {
				return p, usageError("trade_bars needs --%sbar, e.g. --%sbar time:1s", prefix, prefix)
			}
		default:
			return p, usageError("unknown gold dataset %q: allowed are candles, daily_summary, trade_bars", g)
		}
	}
	return p, nil
}

// targets lists the gold series of p for one market/symbol whose silver
// input is stored (has reports that).
func (p goldPlan) targets(m collector.Market, sym string, has func(storage.Series) bool) []collector.DeriveTarget {
	var out []collector.DeriveTarget
	add := func(t collector.DeriveTarget) {
		if has(t.Source()) {
			out = append(out, t)
		}
	}
	for _, iv := range p.candles {
		add(collector.DeriveTarget{Dataset: transform.CandlesData, Market: m, Symbol: sym, Interval: iv})
	}
	if p.daily {
		add(collector.DeriveTarget{Dataset: transform.DailySummaryData, Market: m, Symbol: sym})
	}
	for _, b := range p.bars {
		add(collector.DeriveTarget{Dataset: transform.TradeBarsData, Market: m, Symbol: sym, Bar: b})
	}
	return out
}

type deriveOptions struct {
	io          IO
	global      *globalOptions
	output      string
	s3          s3Options
	market      string
	symbols     []string
	gold        goldOptions
	start, end  string
	summary     string
	dryRun      bool
	concurrency int
	quiet       bool
	telemetry   telemetryOptions
}

// NewCmdDerive builds `lakehouse derive`.
func NewCmdDerive(io IO, g *globalOptions) *cobra.Command {
	o := &deriveOptions{io: io, global: g}
	c := &cobra.Command{
		Use:   "derive",
		Short: "Build the gold layer from silver: candles of any interval, trade bars, daily summaries; incrementally",
		Long: `derive builds {output}/gold/... from the silver data collect stored:

  candles        any interval from 1m klines (1s for sub-minute ones): Binance's
                 (3m .. 1M, equal to Binance's own candles) or custom (2m, 10m, 45m,
                 2d, 2w, 3M); weeks open on Mondays, months on the 1st, Nd on
                 multiples of N days since 1970-01-01 as Binance's 3d. input_rows
                 counts the candles each was built from: fewer than the interval
                 holds means a gap in silver (or the candle still forming). No
                 candle is made for a period without input.
  daily_summary  per market/symbol/UTC day from 1m: open, high, low, close, vwap,
                 volume, quote_volume, trades, return against the previous day's
                 close, realized volatility of 1m log returns, missing minutes.
  trade_bars     from trades: time bars (--bar time:1s, time:100ms), volume bars
                 (--bar volume:50, base amount) and dollar bars (--bar
                 dollar:1000000, quote amount).

Incremental: each gold file records its inputs (path, size, version and rows of
every silver file it was built from) in its metadata; a file whose inputs did not
change is not rebuilt, which derive finds out from footers alone. A changed silver
file rebuilds exactly the gold files built from it.`,
		Example: `  lakehouse derive --symbols BTCUSDT --timeframes 10m,1h,1d
  lakehouse derive --gold candles,daily_summary,trade_bars --bar time:1s --bar volume:50
  lakehouse derive --market usdm --timeframes 45m,2d --start 2024-01-01 --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return o.run(c.Context()) },
	}
	f := c.Flags()
	f.SetNormalizeFunc(normalizeAliases)
	f.StringVar(&o.output, "output", "./lakehouse-data", "lake root: a folder, file://PATH or s3://BUCKET/PREFIX")
	o.s3.addFlags(f)
	f.StringVar(&o.market, "market", "spot", "market: spot, usdm, coinm")
	f.StringSliceVar(&o.symbols, "symbols", nil, "symbols, comma-separated (default: every symbol stored in silver for the market)")
	o.gold.addFlags(f, "")
	f.StringVar(&o.start, "start", "", "build only gold files whose period ends after this time: date or RFC 3339, UTC")
	f.StringVar(&o.end, "end", "", "build only gold files whose period begins before this time")
	f.StringVar(&o.summary, "summary", "text", "end-of-run summary on stdout: text, json")
	f.BoolVar(&o.dryRun, "dry-run", false, "list the gold files that would be built, write nothing")
	f.IntVar(&o.concurrency, "concurrency", 4, "gold series built at once")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar (it is only drawn when stderr is a terminal)")
	o.telemetry.addFlags(f)
	return c
}

func (o *deriveOptions) run(ctx context.Context) error {
	u, err := storage.ParseOutput(o.output)
	if err != nil {
		return usageError("%v", err)
	}
	s3, err := o.s3.config(u)
	if err != nil {
		return err
	}
	m, err := collector.ParseMarket(o.market)
	if err != nil {
		return usageError("%v", err)
	}
	var syms []string
	for _, s := range splitList(o.symbols) {
		sym, err := collector.ParseSymbol(s)
		if err != nil {
			return usageError("%v", err)
		}
		syms = append(syms, sym)
	}
	plan, err := o.gold.validate("")
	if err != nil {
		return err
	}
	from, to, err := parseRange(o.start, o.end)
	if err != nil {
		return err
	}
	if o.summary != "text" && o.summary != "json" {
		return usageError("unknown --summary %q: allowed are text, json", o.summary)
	}
	if o.concurrency < 1 {
		return usageError("--concurrency %d: must be at least 1", o.concurrency)
	}
	if err := o.telemetry.validate(); err != nil {
		return err
	}
	logger, err := o.global.logger(o.io.Err)
	if err != nil {
		return err
	}
	backend, err := storage.OpenBackendWith(ctx, u, storageOptions(s3, logger))
	if err != nil {
		return usageError("%v", err)
	}
	applyMemoryLimit(o.io, logger, o.concurrency)
	tel := o.telemetry.start(ctx, o.io, logger, backend.Kind())
	defer tel.Shutdown(o.telemetry.timeout)
	store := storage.NewStore(backend, memory.DefaultAllocator, storage.WriteOptions{Producer: "lakehouse " + Version()})
	sink := storage.NewInstrumentedSink(store, tel.Metrics)
	defer sink.Close()

	cat, err := store.Catalog(ctx)
	if err != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("list %s: %w", store.Location(), err)}
	}
	has := func(s storage.Series) bool { return len(cat[s]) > 0 }
	if len(syms) == 0 {
		syms = storedSymbols(cat, string(m))
	}
	var targets []collector.DeriveTarget
	for _, sym := range syms {
		targets = append(targets, plan.targets(m, sym, has)...)
	}
	started := time.Now()
	d := &collector.Deriver{Sink: sink, Mem: memory.DefaultAllocator, Logger: logger, Telemetry: tel, Concurrency: o.concurrency, From: from, To: to, DryRun: o.dryRun}
	var progress *taskProgress
	if !o.quiet && isTerminal(o.io.Err) {
		progress = newProgress(o.io.Err, len(targets), 200*time.Millisecond, "derive", "series")
		d.Progress = progress
	}
	results := d.Run(ctx, targets)
	if progress != nil {
		progress.Finish()
	}
	if err := printDerive(o.io.Out, o.summary, store.Location(), results, time.Since(started), o.dryRun); err != nil {
		return err
	}
	return deriveExit(ctx, results)
}

// storedSymbols lists the symbols of a market stored in silver, sorted.
func storedSymbols(cat map[storage.Series][]storage.Key, market string) []string {
	var out []string
	for s := range cat {
		if s.Market == market && !slices.Contains(out, s.Symbol) {
			if d, err := transform.LookupStored(s.Dataset); err == nil && d.LayerOf() == transform.LayerSilver {
				out = append(out, s.Symbol)
			}
		}
	}
	slices.Sort(out)
	return out
}

func deriveExit(ctx context.Context, results []collector.DeriveResult) error {
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		return &exitError{code: ExitFailed, err: fmt.Errorf("%d of %d derive targets failed", failed, len(results))}
	}
	if err := ctx.Err(); err != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("interrupted: %w", err)}
	}
	return nil
}

// deriveTarget is one target in the derive summary.
type deriveTarget struct {
	Dataset    string   `json:"dataset"`
	Market     string   `json:"market"`
	Symbol     string   `json:"symbol"`
	Interval   string   `json:"interval,omitempty"`
	Bar        string   `json:"bar,omitempty"`
	Status     string   `json:"status"`
	Files      []string `json:"files"`
	UpToDate   int      `json:"files_up_to_date"`
	InputRows  int64    `json:"input_rows"`
	Rows       int64    `json:"rows_written"`
	Bytes      int64    `json:"bytes"`
	DurationMs int64    `json:"duration_ms"`
	Error      string   `json:"error,omitempty"`
}

// deriveSummaries turns derive results into summary rows; files counts
// the gold files written (planned, for a dry run).
func deriveSummaries(results []collector.DeriveResult, dry bool) (out []deriveTarget, files int) {
	out = []deriveTarget{}
	for _, r := range results {
		t := deriveTarget{Dataset: r.Target.Dataset.Name, Market: string(r.Target.Market), Symbol: r.Target.Symbol, Status: r.Status,
			Files: r.Files, UpToDate: r.UpToDate, InputRows: r.Inputs, Rows: r.Rows, Bytes: r.Bytes, DurationMs: r.Duration.Milliseconds()}
		if dry {
			t.Files = r.Planned
		}
		if t.Files == nil {
			t.Files = []string{}
		}
		switch r.Target.Dataset {
		case transform.CandlesData:
			t.Interval = r.Target.Interval.String()
		case transform.TradeBarsData:
			t.Bar = r.Target.Bar.String()
		}
		if r.Err != nil {
			t.Error = oneLine(r.Err)
		}
		files += len(t.Files)
		out = append(out, t)
	}
	return out, files
}

func printDerive(w io.Writer, format, location string, results []collector.DeriveResult, d time.Duration, dry bool) error {
	out, files := deriveSummaries(results, dry)
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"output": location, "dry_run": dry, "targets": out, "files": files, "duration_seconds": d.Seconds()})
	}
	if dry {
		fmt.Fprintf(w, "dry run: nothing is written; lake at %s\n", location)
	}
	if err := printDeriveTable(w, out); err != nil {
		return err
	}
	if len(out) == 0 {
		fmt.Fprintln(w, "nothing to derive: no silver input for the selected market and symbols")
	}
	verb := "written"
	if dry {
		verb = "to build"
	}
	fmt.Fprintf(w, "%d gold files %s in %s (%s)\n", files, verb, d.Round(time.Millisecond), strings.TrimSpace(location))
	return nil
}

// printDeriveTable prints one line per gold series.
func printDeriveTable(w io.Writer, out []deriveTarget) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GOLD\tMARKET\tSYMBOL\tINTERVAL/BAR\tSTATUS\tFILES\tUP-TO-DATE\tINPUT ROWS\tROWS\tDURATION")
	for _, t := range out {
		status := t.Status
		if t.Error != "" {
			status += ": " + t.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", t.Dataset, t.Market, t.Symbol, dash(t.Interval+t.Bar), status, len(t.Files), t.UpToDate, t.InputRows, t.Rows,
			(time.Duration(t.DurationMs) * time.Millisecond).String())
	}
	return tw.Flush()
}

// deriveTouched derives the gold series of plan whose silver input a
// collect run wrote (collect --derive).
func deriveTouched(ctx context.Context, d *collector.Deriver, plan goldPlan, results []collector.TaskResult) []collector.DeriveResult {
	touched := map[storage.Series]bool{}
	for _, r := range results {
		if len(r.Files) > 0 {
			touched[r.Task.Series()] = true
		}
	}
	var targets []collector.DeriveTarget
	seen := map[string]bool{}
	for _, r := range results {
		key := string(r.Task.Market) + "/" + r.Task.Symbol
		if seen[key] {
			continue
		}
		seen[key] = true
		targets = append(targets, plan.targets(r.Task.Market, r.Task.Symbol, func(s storage.Series) bool { return touched[s] })...)
	}
	if len(targets) == 0 {
		return nil
	}
	return d.Run(ctx, targets)
}
