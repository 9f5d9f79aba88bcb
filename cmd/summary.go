package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// taskSummary is one task in the JSON summary.
type taskSummary struct {
	Dataset     string `json:"dataset"`
	Market      string `json:"market"`
	Symbol      string `json:"symbol"`
	Interval    string `json:"interval"`
	Status      string `json:"status"`
	RangeStart  string `json:"range_start"`
	RangeEnd    string `json:"range_end"`
	StartFrom   string `json:"start_from"`
	FirstCandle string `json:"first_candle,omitempty"`
	LastCandle  string `json:"last_candle,omitempty"`
	Fetched     int    `json:"rows_fetched"`
	Added       int    `json:"rows_added"`
	Replaced    int    `json:"rows_replaced"`
	Rejected    int    `json:"rows_rejected"`
	// RejectedByReason counts the rejected rows per reason (validate.go's
	// error types); RejectedExamples names the first few of each reason
	// (transform.MaxRejectionExamples), so the summary stays small however
	// many rows are rejected. Both are present, empty, when none are.
	RejectedByReason map[string]int `json:"rejected_by_reason"`
	RejectedExamples []string       `json:"rejected_examples"`
	OpenSkipped      int            `json:"open_candles_skipped"`
	Files            []string       `json:"files_written"`
	Bytes            int64          `json:"bytes_written"`
	DurationSec      float64        `json:"duration_seconds"`
	Error            string         `json:"error,omitempty"`
	// Notes say what a task could not fetch yet and why, e.g. today's
	// futures trades, which only the archive serves, the next day.
	Notes []string `json:"notes,omitempty"`
}

type runSummary struct {
	Tasks       []taskSummary `json:"tasks"`
	OK          int           `json:"ok"`
	Failed      int           `json:"failed"`
	RowsAdded   int           `json:"rows_added"`
	Files       int           `json:"files_written"`
	DurationSec float64       `json:"duration_seconds"`
	// Derive is what collect --derive built afterwards.
	Derive []deriveTarget `json:"derive,omitempty"`
}

func ms(t int64) string { return time.UnixMilli(t).UTC().Format(time.RFC3339) }

func summarize(results []collector.TaskResult, d time.Duration) runSummary {
	s := runSummary{Tasks: []taskSummary{}, DurationSec: d.Seconds()}
	for _, r := range results {
		ts := taskSummary{
			Dataset: r.Task.Data().Name, Market: string(r.Task.Market), Symbol: r.Task.Symbol, Interval: r.Task.Interval.String(),
			Status: r.Status, RangeStart: ms(r.Task.Start), RangeEnd: ms(r.Task.End), StartFrom: r.Task.From,
			Fetched: r.Fetched, Added: r.Added, Replaced: r.Replaced, Rejected: r.Rejected.Total(),
			OpenSkipped: r.OpenSkipped, Files: r.Files, Bytes: r.Bytes, DurationSec: r.Duration.Seconds(),
		}
		if ts.Files == nil {
			ts.Files = []string{}
		}
		if r.Fetched > 0 {
			ts.FirstCandle, ts.LastCandle = ms(r.First), ms(r.Last)
		}
		ts.RejectedByReason = map[string]int{}
		for reason, n := range r.Rejected.ByReason() {
			ts.RejectedByReason[reason] = n
		}
		for _, seg := range r.Segments {
			if seg.Kind == collector.SegmentArchiveOnly {
				ts.Notes = append(ts.Notes, fmt.Sprintf("[%s, %s) not fetched: Binance serves %s of %s only in its archive, which publishes a day the next morning; a later run fetches it",
					ms(seg.Start), ms(seg.End), r.Task.Data().Name, r.Task.Market))
			}
		}
		ts.RejectedExamples = []string{}
		for _, rej := range r.Rejected.Examples() {
			ts.RejectedExamples = append(ts.RejectedExamples, rej.Error())
		}
		if r.Err != nil {
			ts.Error = oneLine(r.Err)
			s.Failed++
		} else {
			s.OK++
		}
		s.RowsAdded += r.Added
		s.Files += len(r.Files)
		s.Tasks = append(s.Tasks, ts)
	}
	return s
}

// printSummary writes the end-of-run report to stdout.
func printSummary(w io.Writer, format string, results []collector.TaskResult, d time.Duration, derived ...collector.DeriveResult) error {
	s := summarize(results, d)
	if len(derived) > 0 {
		s.Derive, _ = deriveSummaries(derived, false)
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATA\tMARKET\tSYMBOL\tINTERVAL\tSTATUS\tADDED\tREJECTED\tFIRST\tLAST\tFILES\tDURATION")
	for _, t := range s.Tasks {
		first, last := t.FirstCandle, t.LastCandle
		if first == "" {
			first, last = "-", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%d\t%s\n", t.Dataset, t.Market, t.Symbol, dash(t.Interval), t.Status,
			t.Added, t.Rejected, first, last, len(t.Files), time.Duration(t.DurationSec*float64(time.Second)).Round(time.Millisecond))
	}
	tw.Flush()
	for _, t := range s.Tasks {
		label := taskLabel(t.Dataset, t.Market, t.Symbol, t.Interval)
		if t.Error != "" {
			fmt.Fprintf(w, "FAILED %s: %s\n", label, t.Error)
		}
		if t.Rejected > 0 {
			fmt.Fprintf(w, "REJECTED %s: %d rows (%s)\n", label, t.Rejected, reasonCounts(t.RejectedByReason))
		}
		for _, r := range t.RejectedExamples {
			fmt.Fprintf(w, "REJECTED %s: %s\n", label, r)
		}
		for _, n := range t.Notes {
			fmt.Fprintf(w, "NOTE %s: %s\n", label, n)
		}
	}
	fmt.Fprintf(w, "%d tasks: %d ok, %d failed; %d rows added, %d files written in %s\n",
		len(s.Tasks), s.OK, s.Failed, s.RowsAdded, s.Files, d.Round(time.Millisecond))
	if len(s.Derive) > 0 {
		fmt.Fprintln(w, "derive:")
		return printDeriveTable(w, s.Derive)
	}
	return nil
}

// reasonCounts formats rejected rows per reason, e.g. "ohlc 3, parse 1".
func reasonCounts(by map[string]int) string {
	parts := make([]string, 0, len(by))
	for _, reason := range slices.Sorted(maps.Keys(by)) {
		parts = append(parts, fmt.Sprintf("%s %d", reason, by[reason]))
	}
	return strings.Join(parts, ", ")
}

// taskLabel names a task for people: "spot BTCUSDT 1m" for klines (as
// always), "trades spot BTCUSDT" for other datasets.
func taskLabel(dataset, market, symbol, interval string) string {
	if dataset != transform.Klines.Name {
		return dataset + " " + market + " " + symbol
	}
	return market + " " + symbol + " " + interval
}
