package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/spf13/cobra"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

type verifyOptions struct {
	io         IO
	global     *globalOptions
	lake       lakeOptions
	start, end string
	format     string
}

// verifyProblem is one defect, named with its file and candle.
type verifyProblem struct {
	Kind     string  `json:"kind"`
	File     string  `json:"file"`
	OpenTime string  `json:"open_time,omitempty"` // kline-shaped datasets: the candle
	Time     string  `json:"time,omitempty"`      // other datasets: the row's time
	Until    string  `json:"until,omitempty"`
	IDs      []int64 `json:"ids,omitempty"` // id-keyed datasets: [first, last] of a range, or the row's id
	Detail   string  `json:"detail"`
}

type verifySeries struct {
	Dataset  string          `json:"dataset"`
	Market   string          `json:"market"`
	Interval string          `json:"interval"`
	Symbol   string          `json:"symbol"`
	Files    int             `json:"files"`
	Rows     int64           `json:"rows"`
	First    string          `json:"first_candle,omitempty"`
	Last     string          `json:"last_candle,omitempty"`
	Problems []verifyProblem `json:"problems"`
}

// NewCmdVerify builds `lakehouse verify`.
func NewCmdVerify(io IO, g *globalOptions) *cobra.Command {
	o := &verifyOptions{io: io, global: g}
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check the stored data: schema, order, duplicates, OHLC sanity, close times, gaps",
		Long: `verify reads the stored Parquet files (footers first, then data) and reports per
market/interval/symbol: schema version mismatch, unsorted rows, duplicate open_time,
OHLC violations, close_time != open_time + interval - 1ms, gaps against the interval
grid (weeks on Mondays, months on the 1st) and files that cannot be read. Each gap is
labelled: "gap at Binance (confirmed <when>)" when collect found Binance has no
candles there (recorded in the files' metadata; kind binance_gap, reported but not
a problem), or "missing (not fetched yet)" (kind gap), which the next collect run
without --start refills (--heal for older holes). Gaps are never fabricated.

trades and agg_trades: unique sorted ids, contiguous ids (each gap with its id and
time range; Binance's futures trade ids skip values of their own, reported too),
times in order, rows in the file of their day, and for agg_trades the chain
first_trade_id = previous last_trade_id + 1. Cross-checks where both are stored:
every minute of trades against its 1m kline (open, high, low, close and trade count
exactly, volumes within 1e-9 relative), every aggregate against its trades.
Gold (lakehouse derive): rows sorted and unique on their grid (candles), OHLC sane,
input_rows within the interval, trade bars in trade-id order, and every gold file
current: built from the silver files stored now (kind stale otherwise).
Exit 1 if anything but Binance's confirmed gaps is found.`,
		Example: `  lakehouse verify
  lakehouse verify --market spot --symbols BTCUSDT --timeframes 1m --start 2024-01-01 --format json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return o.run(c.Context()) },
	}
	o.lake.addFlags(c.Flags())
	c.Flags().StringVar(&o.start, "start", "", "check gaps from this time on (date or RFC 3339, UTC)")
	c.Flags().StringVar(&o.end, "end", "", "check gaps before this time")
	c.Flags().StringVar(&o.format, "format", "text", "output: text, json")
	return c
}

func (o *verifyOptions) run(ctx context.Context) error {
	u, s3, flt, err := o.lake.validate()
	if err != nil {
		return err
	}
	from, to, err := parseRange(o.start, o.end)
	if err != nil {
		return err
	}
	if o.format != "text" && o.format != "json" {
		return usageError("unknown --format %q: allowed are text, json", o.format)
	}
	cat, err := openCatalog(ctx, o.global, o.io, u, s3, flt)
	if err != nil {
		return err
	}
	defer cat.store.Close()
	var report []verifySeries
	problems := 0
	for _, s := range cat.series {
		vs := verifyOne(ctx, cat.store, s, cat.keys[s], from, to, cat.keys)
		problems += countProblems(vs.Problems)
		report = append(report, vs)
	}
	for _, l := range cat.legacy {
		report = append(report, verifySeries{Dataset: l.Series.Dataset, Market: l.Series.Market, Interval: l.Series.Interval, Symbol: l.Series.Symbol,
			Problems: []verifyProblem{{Kind: "legacy_folder", File: l.Dir,
				Detail: fmt.Sprintf("%d monthly file(s) in the folder of an older lakehouse, not checked; move them to %s: %s", l.Files, l.Series.Dir(), l.Move)}}})
		problems++
	}
	if err := printVerify(o.io.Out, o.format, cat.store.Location(), report, problems); err != nil {
		return err
	}
	if problems > 0 {
		return &exitError{code: ExitFailed, err: fmt.Errorf("%d problems", problems)}
	}
	return nil
}

// verifyOne checks one series file by file, oldest first, streaming each
// file in batches through the dataset's checker (so gaps across file
// boundaries are found too) and through the cross-checks whose other
// series is stored in the lake (all holds every stored series).
func verifyOne(ctx context.Context, store *storage.Store, s storage.Series, keys []storage.Key, from, to int64, all map[storage.Series][]storage.Key) verifySeries {
	vs := verifySeries{Dataset: s.Dataset, Market: s.Market, Interval: s.Interval, Symbol: s.Symbol, Problems: []verifyProblem{}}
	d, err := transform.LookupStored(s.Dataset)
	if err != nil { // Scan lists known datasets only
		vs.Problems = append(vs.Problems, verifyProblem{Kind: "unknown_dataset", File: s.Dir(), Detail: err.Error()})
		return vs
	}
	var confirmed []storage.SourceGap // Binance's gaps recorded in the footers read so far
	add := func(p transform.Problem, k storage.Key) {
		if p.Kind == transform.ProblemGap && d.Intervals {
			for _, part := range labelGap(p, confirmed, transform.Interval(s.Interval)) {
				vs.Problems = append(vs.Problems, problemOf(d, k, part))
			}
			return
		}
		vs.Problems = append(vs.Problems, problemOf(d, k, p))
	}
	scope := transform.CheckScope{Market: s.Market, From: from, To: to}
	if d.Intervals && d.VariantKey() == "interval" {
		iv, err := transform.ParseCustomInterval(s.Interval)
		if err != nil {
			for _, k := range keys {
				add(transform.Problem{Kind: "unknown_interval", Detail: err.Error()}, k)
			}
			return vs
		}
		scope.Interval = iv
	}
	checkers := []transform.SeriesChecker{d.Checker(scope)}
	for _, x := range d.CrossChecks {
		other := storage.Series{Dataset: x.With.Name, Market: s.Market, Interval: x.Interval, Symbol: s.Symbol}
		if ok := all[other]; len(ok) > 0 {
			checkers = append(checkers, x.New(&storedReference{ctx: ctx, store: store, d: x.With, series: other, keys: all[other]}, scope))
		}
	}
	defer func() {
		for _, c := range checkers {
			c.Close()
		}
	}()
	var first, last int64
	for i, k := range keys {
		fm, err := store.Meta(ctx, k)
		if err != nil {
			add(transform.Problem{Kind: readProblem(err), Detail: err.Error()}, k)
			continue
		}
		if gaps, err := storage.ParseSourceGaps(fm.Meta); err != nil {
			add(transform.Problem{Kind: "metadata", Detail: err.Error()}, k)
		} else {
			confirmed = storage.MergeSourceGaps(append(confirmed, gaps...))
		}
		if d.LayerOf() == transform.LayerGold {
			if stale, why, err := collector.GoldStale(ctx, store, k, fm.Meta); err != nil {
				add(transform.Problem{Kind: "stale", Detail: "cannot tell whether it is current: " + err.Error()}, k)
			} else if stale {
				add(transform.Problem{Kind: "stale", Detail: why}, k)
			}
		}
		if fm.SchemaVersion != transform.SchemaVersion {
			add(transform.Problem{Kind: "schema_version", Detail: fmt.Sprintf("schema version %q, this lakehouse writes %q", fm.SchemaVersion, transform.SchemaVersion)}, k)
		}
		if to != 0 && fm.HasStats && fm.Rows > 0 && d.Millis(fm.MinTime) >= to {
			continue
		}
		ff, err := verifyFile(ctx, store, d, k, checkers, transform.FileInfo{Period: k.Period, Last: i == len(keys)-1})
		if err != nil {
			add(transform.Problem{Kind: readProblem(err), Detail: err.Error()}, k)
			if ff.rows == 0 {
				continue
			}
		}
		vs.Files++
		vs.Rows += ff.rows
		if ff.rows > 0 {
			lo, hi := d.Millis(ff.lo), d.Millis(ff.hi)
			if d.Period(scope.Interval, ff.lo) != k.Period || d.Period(scope.Interval, ff.hi) != k.Period {
				add(transform.Problem{Kind: transform.ProblemMisfiled, OpenTime: lo, Detail: fmt.Sprintf("holds %s of %s..%s, not only of %s",
					rowsWord(d), d.Period(scope.Interval, ff.lo), d.Period(scope.Interval, ff.hi), k.Period)}, k)
			}
			if first == 0 || lo < first {
				first = lo
			}
			last = max(last, hi)
		}
		for _, p := range ff.problems {
			add(p, k)
		}
	}
	if first != 0 {
		vs.First, vs.Last = ms(first), ms(last)
	}
	return vs
}

// ProblemSourceGap is a gap Binance confirmed (recorded by collect in the
// files' metadata): reported, but not a problem of the lake.
const ProblemSourceGap = "binance_gap"

// labelGap splits a gap between stored candles into the parts Binance
// confirmed empty ("gap at Binance (confirmed <when>)", kind binance_gap)
// and the parts not fetched yet ("missing (not fetched yet)", kind gap).
func labelGap(p transform.Problem, confirmed []storage.SourceGap, iv transform.Interval) []transform.Problem {
	var out []transform.Problem
	part := func(from, to int64, g *storage.SourceGap) {
		if from >= to {
			return
		}
		q := transform.Problem{Kind: transform.ProblemGap, OpenTime: from, Until: to}
		n := iv.Count(from, to)
		if g != nil {
			q.Kind = ProblemSourceGap
			q.Detail = fmt.Sprintf("gap at Binance (confirmed %s): %d %s candles Binance does not have", g.Confirmed.UTC().Format(time.RFC3339), n, iv)
		} else {
			q.Detail = fmt.Sprintf("missing (not fetched yet): %d %s candles; a collect run without --start refills it (--heal for holes older than --heal-window)", n, iv)
		}
		out = append(out, q)
	}
	at := p.OpenTime
	for i := range confirmed {
		g := &confirmed[i]
		if g.To <= at || g.From >= p.Until {
			continue
		}
		part(at, max(at, g.From), nil)
		part(max(at, g.From), min(g.To, p.Until), g)
		at = min(g.To, p.Until)
	}
	part(at, p.Until, nil)
	return out
}

// verifiedFile is what streaming one file found.
type verifiedFile struct {
	rows     int64
	lo, hi   int64 // time of the first and last row, in the dataset's unit
	problems []transform.Problem
}

// verifyFile streams one file through the checkers; a read error ends the
// file and is returned with what was checked before it.
func verifyFile(ctx context.Context, store *storage.Store, d *transform.Dataset, k storage.Key, checkers []transform.SeriesChecker, fi transform.FileInfo) (verifiedFile, error) {
	var f verifiedFile
	rr, _, err := store.ReadStream(ctx, k, d.Schema(k.Market), 0)
	if err != nil {
		return f, err
	}
	defer rr.Release()
	for _, c := range checkers {
		c.StartFile(fi)
	}
	timeCol := d.Schema(k.Market).FieldIndices(d.Time)[0]
	for rr.Next() {
		rec := rr.RecordBatch()
		n := int(rec.NumRows())
		if n == 0 {
			continue
		}
		if ts, ok := rec.Column(timeCol).(*array.Timestamp); ok {
			if f.rows == 0 {
				f.lo = int64(ts.Value(0))
			}
			f.hi = int64(ts.Value(n - 1))
		}
		f.rows += int64(n)
		for _, c := range checkers {
			f.problems = append(f.problems, c.Check(rec)...)
		}
	}
	for _, c := range checkers {
		f.problems = append(f.problems, c.EndFile()...)
	}
	if err := rr.Err(); err != nil {
		return f, fmt.Errorf("read %s: %w", k, err)
	}
	return f, nil
}

// problemOf names a checker's problem with its file. Times are the
// candle's open_time in kline-shaped datasets and the row's time (to the
// ms) in others.
func problemOf(d *transform.Dataset, k storage.Key, p transform.Problem) verifyProblem {
	v := verifyProblem{Kind: p.Kind, File: k.Path(), IDs: p.IDs, Detail: p.Detail}
	at, until := ms, ms
	if !d.Intervals {
		at, until = msFrac, msFrac
	}
	if p.OpenTime != 0 {
		if d.Intervals {
			v.OpenTime = at(p.OpenTime)
		} else {
			v.Time = at(p.OpenTime)
		}
	}
	if p.Until != 0 {
		v.Until = until(p.Until)
	}
	return v
}

func msFrac(t int64) string { return time.UnixMilli(t).UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// rowsWord is what a file's rows are called in messages.
func rowsWord(d *transform.Dataset) string {
	if d.Intervals {
		return "candles"
	}
	return "rows"
}

func printVerify(w io.Writer, format, location string, report []verifySeries, problems int) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if report == nil {
			report = []verifySeries{}
		}
		return enc.Encode(map[string]any{"output": location, "series": report, "problems": problems})
	}
	for _, s := range report {
		state := "OK"
		if n := countProblems(s.Problems); n > 0 {
			state = fmt.Sprintf("%d PROBLEMS", n)
		} else if len(s.Problems) > 0 {
			state = fmt.Sprintf("OK (%d gaps at Binance)", len(s.Problems))
		}
		fmt.Fprintf(w, "%s: %s, %d files, %d rows, %s .. %s\n", seriesLabel(s.Dataset, s.Market, s.Interval, s.Symbol), state, s.Files, s.Rows, dash(s.First), dash(s.Last))
		for _, p := range s.Problems {
			at := ""
			if p.OpenTime != "" {
				at = " at " + p.OpenTime
			}
			if p.Time != "" {
				at = " at " + p.Time
			}
			if p.Until != "" {
				at += " until " + p.Until
			}
			fmt.Fprintf(w, "  %s %s%s: %s\n", p.Kind, p.File, at, p.Detail)
		}
	}
	fmt.Fprintf(w, "%d series checked in %s, %d problems\n", len(report), location, problems)
	return nil
}

// countProblems counts the problems of the lake: all but Binance's own
// confirmed gaps.
func countProblems(ps []verifyProblem) int {
	n := 0
	for _, p := range ps {
		if p.Kind != ProblemSourceGap {
			n++
		}
	}
	return n
}

// readProblem names why a file could not be used.
func readProblem(err error) string {
	if errors.Is(err, storage.ErrSchema) {
		return "schema"
	}
	return "unreadable"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// seriesLabel names a series for people: "spot 1m BTCUSDT" for klines (as
// always), "trades spot BTCUSDT" for other datasets.
func seriesLabel(dataset, market, interval, symbol string) string {
	label := market
	if interval != "" {
		label += " " + interval
	}
	label += " " + symbol
	if dataset != transform.Klines.Name {
		label = dataset + " " + label
	}
	return label
}
