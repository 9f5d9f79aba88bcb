package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/cobra"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// collectOptions holds the collect flags as given.
type collectOptions struct {
	io     IO
	global *globalOptions

	symbols     []string
	timeframes  []string
	data        []string
	market      string
	start, end  string
	lookback    string
	healWindow  string
	heal        bool
	output      string
	concurrency int
	apiURL      string
	dryRun      bool
	summary     string
	compression string
	// weightWindow is hidden: benchmarks shorten Binance's minute against a fake.
	weightWindow time.Duration
	shard        shardOptions
	quiet        bool
	s3           s3Options
	telemetry    telemetryOptions
	archive      archiveOptions
	derive       bool
	deriveGold   goldOptions
	// symbolsOptional lets `config` show a configuration that still lacks
	// --symbols (collectPlan.missing names it) instead of exiting 2.
	symbolsOptional bool
}

// collectPlan is collectOptions after validation.
type collectPlan struct {
	shard  collector.Shard
	req    collector.Request
	output *url.URL
	s3     storage.S3Config
	apiURL string
	source archiveSettings
	// heal is how far before a series' newest candle collect refills
	// holes (--heal-window; collector.HealAll with --heal, 0 off).
	heal time.Duration
	// missing names the settings collect still needs (config only).
	missing []string
	// derive, with --derive, is what to build from the series collected.
	derive *goldPlan
}

// NewCmdCollect builds `lakehouse collect`. runF replaces the run step in tests.
func NewCmdCollect(io IO, g *globalOptions, runF func(context.Context, *collectOptions, *collectPlan) error) *cobra.Command {
	return newCollectCmd(&collectOptions{io: io, global: g}, runF)
}

// newCollectCmd builds collect's command over o (config shares it).
func newCollectCmd(o *collectOptions, runF func(context.Context, *collectOptions, *collectPlan) error) *cobra.Command {
	c := &cobra.Command{
		Use:   "collect",
		Short: "Fetch klines from Binance and merge them into the Parquet lake",
		Example: `  lakehouse collect --symbols BTCUSDT --timeframes 1m
  lakehouse collect --symbols BTCUSDT --data klines,trades,agg_trades --start 2024-01-01
  lakehouse collect --symbols BTCUSDT,ETHUSDT --timeframes 1m,1h --start 2024-01-01 --end 2024-02-01
  lakehouse collect --market usdm --symbols BTCUSDT --timeframes 1h --lookback 7d --summary json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			p, err := o.validate()
			if err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), o, p)
			}
			return runCollect(c.Context(), o, p)
		},
	}
	f := c.Flags()
	f.SetNormalizeFunc(normalizeAliases)
	f.StringSliceVar(&o.symbols, "symbols", nil, "symbols, comma-separated (e.g. BTCUSDT,ETHUSDT); required")
	f.StringSliceVar(&o.data, "data", []string{"klines"}, "datasets, comma-separated: "+strings.Join(transform.DatasetNames(), ", ")+" (Binance's names such as aggTrades accepted)")
	f.StringSliceVar(&o.timeframes, "timeframes", []string{"1m"}, "kline intervals, comma-separated: 1s (spot only), 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w, 1M (alias --intervals)")
	f.StringVar(&o.market, "market", "spot", "market: spot, usdm (USD-M futures), coinm (COIN-M futures)")
	f.StringVar(&o.start, "start", "", "first candle to fetch, inclusive: date or RFC 3339, UTC (default: resume after the newest stored candle)")
	f.StringVar(&o.end, "end", "", "end of the range, exclusive: date or RFC 3339, UTC (default: now)")
	f.StringVar(&o.lookback, "lookback", "24h", "how far back to start when nothing is stored yet and --start is not given")
	f.StringVar(&o.healWindow, "heal-window", "35d", "without --start, refill the candles an earlier run failed to store this far before a series' newest one (0: off)")
	f.BoolVar(&o.derive, "derive", false, "after collecting, build the gold layer (lakehouse derive) for the series this run wrote: see --derive-gold, --derive-timeframes, --derive-bar")
	o.deriveGold.addFlags(f, "derive-")
	f.BoolVar(&o.heal, "heal", false, "refill every hole in the whole stored range of the selected series (a one-off repair; not with --start)")
	f.StringVar(&o.output, "output", "./lakehouse-data", "lake root: a folder, file://PATH or s3://BUCKET/PREFIX")
	f.IntVar(&o.concurrency, "concurrency", 4, "tasks (symbol x interval) run at once")
	f.StringVar(&o.apiURL, "binance-api-url", "", "Binance REST base URL (default: Binance's production URL of the market)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan (tasks, ranges, sources, files) and fetch nothing")
	f.StringVar(&o.summary, "summary", "text", "end-of-run summary on stdout: text, json")
	f.StringVar(&o.compression, "compression", "zstd", "Parquet compression: zstd, snappy, gzip, none")
	f.DurationVar(&o.weightWindow, "weight-window", time.Minute, "length of Binance's request-weight window (for fakes)")
	f.MarkHidden("weight-window")
	o.shard.addFlags(f)
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar (it is only drawn when stderr is a terminal)")
	o.s3.addFlags(f)
	o.telemetry.addFlags(f)
	o.archive.addFlags(f)
	return c
}

// validate checks every flag before anything is fetched or written.
func (o *collectOptions) validate() (*collectPlan, error) {
	p := &collectPlan{}
	m, err := collector.ParseMarket(o.market)
	if err != nil {
		return nil, usageError("%v", err)
	}
	p.req.Market = m
	syms := splitList(o.symbols)
	if len(syms) == 0 && o.symbolsOptional {
		p.missing = append(p.missing, "--symbols")
	} else if len(syms) == 0 {
		return nil, usageError("--symbols is required, e.g. --symbols BTCUSDT,ETHUSDT")
	}
	for _, s := range syms {
		sym, err := collector.ParseSymbol(s)
		if err != nil {
			return nil, usageError("%v", err)
		}
		if !slices.Contains(p.req.Symbols, sym) { // btcusdt,BTCUSDT: one task
			p.req.Symbols = append(p.req.Symbols, sym)
		}
	}
	if err := o.validateData(p, m); err != nil {
		return nil, err
	}
	tfs := splitList(o.timeframes)
	if len(tfs) == 0 {
		return nil, usageError("--timeframes is empty, e.g. --timeframes 1m,1h")
	}
	for _, s := range tfs {
		iv, err := transform.ParseInterval(s)
		if err != nil {
			return nil, usageError("%v", err)
		}
		if iv.SpotOnly() && m != collector.Spot {
			return nil, usageError("interval %s is only available on the spot market, not on %s", iv, m)
		}
		if !slices.Contains(p.req.Intervals, iv) { // 1M,1mo: one task
			p.req.Intervals = append(p.req.Intervals, iv)
		}
	}
	now := o.io.Now().UTC()
	if o.start != "" {
		if p.req.Start, err = parseTime("start", o.start); err != nil {
			return nil, usageError("%v", err)
		}
	}
	if o.end != "" {
		if p.req.End, err = parseTime("end", o.end); err != nil {
			return nil, usageError("%v", err)
		}
	}
	end := p.req.End
	if end.IsZero() {
		end = now
	}
	if !p.req.Start.IsZero() && !p.req.Start.Before(end) {
		return nil, usageError("--start %s is not before --end %s", p.req.Start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	if p.req.Lookback, err = parseDuration("lookback", o.lookback); err != nil {
		return nil, usageError("%v", err)
	}
	if p.heal, err = o.healSetting(); err != nil {
		return nil, err
	}
	if o.derive {
		gp, err := o.deriveGold.validate("derive-")
		if err != nil {
			return nil, err
		}
		p.derive = &gp
	}
	if p.output, err = storage.ParseOutput(o.output); err != nil {
		return nil, usageError("%v", err)
	}
	if p.s3, err = o.s3.config(p.output); err != nil {
		return nil, err
	}
	if o.apiURL != "" {
		if p.apiURL, err = collector.ParseBaseURL("--binance-api-url", o.apiURL); err != nil {
			return nil, usageError("%v", err)
		}
	}
	if o.concurrency < 1 {
		return nil, usageError("--concurrency %d: must be at least 1", o.concurrency)
	}
	if o.summary != "text" && o.summary != "json" {
		return nil, usageError("unknown --summary %q: allowed are text, json", o.summary)
	}
	if _, ok := storage.Compressions[o.compression]; !ok {
		return nil, usageError("unknown --compression %q: allowed are zstd, snappy, gzip, none", o.compression)
	}
	if p.shard, err = o.shard.resolve(o.io.Getenv); err != nil {
		return nil, err
	}
	if err := o.telemetry.validate(); err != nil {
		return nil, err
	}
	if p.source, err = o.archive.validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// exchangeClock is the run's clock (issue 16): the earlier of the local
// time and Binance's, learnt from every response, exported as the skew
// gauge and warned about once when the two differ by more than a second.
func exchangeClock(local func() time.Time, tel *telemetry.Telemetry, logger *slog.Logger, m collector.Market) *collector.ExchangeClock {
	clock := collector.NewExchangeClock(local)
	clock.OnSkew(func(d time.Duration) { tel.Metrics.SetClockSkew(string(m), d.Seconds()) }, func(d time.Duration) {
		logger.Warn("the local clock and Binance's differ by more than 1s; a candle counts as closed by the earlier of the two",
			"market", string(m), "local_minus_binance", d.Round(time.Millisecond).String())
	})
	tel.Metrics.SetClock(clock.Now)
	return clock
}

// healSetting validates --heal and --heal-window.
func (o *collectOptions) healSetting() (time.Duration, error) {
	if o.heal {
		if o.start != "" {
			return 0, usageError("--heal repairs the whole stored range and --start re-collects a range of your choice: use one of them")
		}
		return collector.HealAll, nil
	}
	if w := strings.TrimSpace(o.healWindow); w == "0" || w == "off" {
		return 0, nil
	}
	d, err := parseDuration("heal-window", o.healWindow)
	if err != nil {
		return 0, usageError("%v (0 turns healing off)", err)
	}
	return d, nil
}

func runCollect(ctx context.Context, o *collectOptions, p *collectPlan) error {
	logger, err := o.global.logger(o.io.Err)
	if err != nil {
		return err
	}
	backend, err := storage.OpenBackendWith(ctx, p.output, storageOptions(p.s3, logger))
	if err != nil {
		return usageError("%v", err)
	}
	applyMemoryLimit(o.io, logger, o.concurrency)
	// Deferred first, so it runs last: flush telemetry after the sink closed.
	tel := o.telemetry.start(ctx, o.io, logger, backend.Kind())
	defer tel.Shutdown(o.telemetry.timeout)
	store := storage.NewStore(backend, memory.DefaultAllocator, storage.WriteOptions{Compression: o.compression, Producer: "lakehouse " + Version()})
	sink := storage.NewInstrumentedSink(store, tel.Metrics)
	defer sink.Close()

	// The shard is chosen before any file is read: each series is read by
	// the pod that runs it, and its trouble fails its own task only.
	now := o.io.Now().UTC()
	tasks := p.shard.Select(collector.Plan(p.req, now))
	if o.dryRun {
		plan := p.source.planTasks(ctx, sink, tasks, now, p.heal)
		if err := printPlan(o.io.Out, o.summary, store.Location(), p, plan); err != nil {
			return err
		}
		if failed := failedPlans(plan); failed > 0 {
			return &exitError{code: ExitFailed, err: fmt.Errorf("%d of %d tasks cannot be planned", failed, len(plan))}
		}
		return nil
	}

	clock := exchangeClock(o.io.Now, tel, logger, p.req.Market)
	hc := collector.NewHTTPClient(instrumentClient(collector.ClientOptions{Window: o.weightWindow, Clock: clock}, tel, p.req.Market, "api"))
	runner := &collector.Runner{
		Sink:        sink,
		Mem:         memory.DefaultAllocator,
		Logger:      logger,
		Now:         clock.Now,
		Concurrency: o.concurrency,
		HealWindow:  p.heal,
		Telemetry:   tel,
		Source: lazySource(func() collector.Source {
			return collector.InstrumentSource(collector.NewRESTSource(ctx, p.req.Market, p.apiURL, hc, p.req.Symbols[0]), tel)
		}),
	}
	runner.REST = collector.RESTEndpoint{BaseURL: p.apiURL, Client: hc.Client}
	// Not the archive's responses: a CDN serves cached files with the Date
	// of when they were cached.
	p.source.attach(runner, store, instrumentClient(collector.ClientOptions{}, tel, p.req.Market, "archive"))
	logger.Info("collect starting", "market", p.req.Market, "tasks", len(tasks), "output", store.Location())
	started := time.Now()
	var progress *taskProgress
	if !o.quiet && isTerminal(o.io.Err) {
		progress = newTaskProgress(o.io.Err, len(tasks), 200*time.Millisecond)
		runner.Progress = progress
	}
	results := runner.Run(ctx, tasks)
	if progress != nil {
		progress.Finish()
	}
	var derived []collector.DeriveResult
	if p.derive != nil && ctx.Err() == nil {
		d := &collector.Deriver{Sink: sink, Mem: memory.DefaultAllocator, Logger: logger, Telemetry: tel, Concurrency: o.concurrency}
		if progress != nil {
			dp := newProgress(o.io.Err, len(results), 200*time.Millisecond, "derive", "series")
			d.Progress = dp
			defer dp.Finish()
		}
		derived = deriveTouched(ctx, d, *p.derive, results)
	}
	if err := printSummary(o.io.Out, o.summary, results, time.Since(started), derived...); err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if r.Status == collector.StatusFailed {
			failed++
		}
	}
	for _, r := range derived {
		if r.Err != nil {
			failed++
		}
	}
	logger.Log(ctx, levelFor(failed), "collect finished", "tasks", len(results), "failed", failed, "duration", time.Since(started).Round(time.Millisecond))
	if failed > 0 || ctx.Err() != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("%d of %d tasks failed", failed, len(results))}
	}
	return nil
}

func levelFor(failed int) slog.Level {
	if failed > 0 {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// validateData reads --data: known datasets (names or Binance's aliases),
// each served by the market, each once.
func (o *collectOptions) validateData(p *collectPlan, m collector.Market) error {
	names := splitList(o.data)
	if len(names) == 0 {
		return usageError("--data is empty, e.g. --data klines,trades")
	}
	for _, name := range names {
		d, err := transform.LookupDataset(name)
		if err != nil {
			return usageError("%v", err)
		}
		if !d.Serves(string(m)) {
			return usageError("dataset %s is not available on the %s market: it is on %s", d.Name, m, strings.Join(d.Markets, ", "))
		}
		if !slices.Contains(p.req.Datasets, d) {
			p.req.Datasets = append(p.req.Datasets, d)
		}
	}
	return nil
}
