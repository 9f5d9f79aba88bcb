package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

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
	Kind     string `json:"kind"`
	File     string `json:"file"`
	OpenTime string `json:"open_time,omitempty"`
	Until    string `json:"until,omitempty"`
	Detail   string `json:"detail"`
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
grid (weeks on Mondays, months on the 1st) and files that cannot be read. Gaps are
reported, never filled: Binance has maintenance gaps of its own. Exit 1 if anything
is found.`,
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
	var from, to int64
	if o.start != "" {
		t, err := parseTime("start", o.start)
		if err != nil {
			return usageError("%v", err)
		}
		from = t.UnixMilli()
	}
	if o.end != "" {
		t, err := parseTime("end", o.end)
		if err != nil {
			return usageError("%v", err)
		}
		to = t.UnixMilli()
	}
	if from != 0 && to != 0 && from >= to {
		return usageError("--start %s is not before --end %s", o.start, o.end)
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
		vs := verifyOne(ctx, cat.store, s, cat.keys[s], from, to)
		problems += len(vs.Problems)
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

// verifyOne checks one series file by file, oldest first, so gaps across
// file boundaries are found too.
func verifyOne(ctx context.Context, store *storage.Store, s storage.Series, keys []storage.Key, from, to int64) verifySeries {
	vs := verifySeries{Dataset: s.Dataset, Market: s.Market, Interval: s.Interval, Symbol: s.Symbol, Problems: []verifyProblem{}}
	add := func(kind string, k storage.Key, open, until int64, detail string) {
		p := verifyProblem{Kind: kind, File: k.Path(), Detail: detail}
		if open != 0 {
			p.OpenTime = ms(open)
		}
		if until != 0 {
			p.Until = ms(until)
		}
		vs.Problems = append(vs.Problems, p)
	}
	iv, err := transform.ParseInterval(s.Interval)
	if err != nil {
		for _, k := range keys {
			add("unknown_interval", k, 0, 0, err.Error())
		}
		return vs
	}
	chk := transform.NewChecker(iv)
	chk.From, chk.To = from, to
	var first, last int64
	for _, k := range keys {
		fm, err := store.Meta(ctx, k)
		if err != nil {
			add(readProblem(err), k, 0, 0, err.Error())
			continue
		}
		if fm.SchemaVersion != transform.SchemaVersion {
			add("schema_version", k, 0, 0, fmt.Sprintf("schema version %q, this lakehouse writes %q", fm.SchemaVersion, transform.SchemaVersion))
		}
		if to != 0 && fm.HasStats && fm.MinKey >= to {
			continue
		}
		rec, _, err := store.Read(ctx, k)
		if err != nil {
			add(readProblem(err), k, 0, 0, err.Error())
			continue
		}
		vs.Files++
		vs.Rows += rec.NumRows()
		if lo, hi, ok := transform.TimeRange(rec); ok {
			if iv.Period(lo) != k.Period || iv.Period(hi) != k.Period {
				add("misfiled", k, lo, 0, fmt.Sprintf("holds candles of %s..%s, not only of %s", iv.Period(lo), iv.Period(hi), k.Period))
			}
			if first == 0 || lo < first {
				first = lo
			}
			last = max(last, hi)
		}
		for _, p := range chk.Check(rec) {
			add(p.Kind, k, p.OpenTime, p.Until, p.Detail)
		}
		rec.Release()
	}
	if first != 0 {
		vs.First, vs.Last = ms(first), ms(last)
	}
	return vs
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
		if len(s.Problems) > 0 {
			state = fmt.Sprintf("%d PROBLEMS", len(s.Problems))
		}
		fmt.Fprintf(w, "%s: %s, %d files, %d rows, %s .. %s\n", seriesLabel(s.Dataset, s.Market, s.Interval, s.Symbol), state, s.Files, s.Rows, dash(s.First), dash(s.Last))
		for _, p := range s.Problems {
			at := ""
			if p.OpenTime != "" {
				at = " at " + p.OpenTime
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
