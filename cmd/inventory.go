package cmd

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

type inventoryOptions struct {
	io     IO
	global *globalOptions
	lake   lakeOptions
	format string
}

type inventoryRow struct {
	Dataset      string  `json:"dataset"`
	Market       string  `json:"market"`
	Interval     string  `json:"interval"`
	Symbol       string  `json:"symbol"`
	First        string  `json:"first_candle"`
	Last         string  `json:"last_candle"`
	Rows         int64   `json:"rows"`
	Files        int     `json:"files"`
	Bytes        int64   `json:"bytes"`
	FreshnessSec float64 `json:"freshness_seconds"`
	Unreadable   int     `json:"unreadable_files,omitempty"`
	// FirstID and LastID bound the key of datasets keyed by an id
	// (trades: id, agg_trades: agg_trade_id); absent for klines.
	FirstID *int64 `json:"first_id,omitempty"`
	LastID  *int64 `json:"last_id,omitempty"`
}

// NewCmdInventory builds `lakehouse inventory`.
func NewCmdInventory(io IO, g *globalOptions) *cobra.Command {
	o := &inventoryOptions{io: io, global: g}
	c := &cobra.Command{
		Use:   "inventory",
		Short: "List what is stored per market/interval/symbol: range, rows, files, bytes, freshness",
		Long: `inventory reads only the Parquet footers (row counts and open_time statistics),
never the data, so it is fast on large lakes and cheap on S3. Freshness is now minus
the close time of the newest stored candle.`,
		Example: `  lakehouse inventory
  lakehouse inventory --market usdm --format csv > inventory.csv`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return o.run(c.Context()) },
	}
	o.lake.addFlags(c.Flags())
	c.Flags().StringVar(&o.format, "format", "text", "output: text, json, csv")
	return c
}

func (o *inventoryOptions) run(ctx context.Context) error {
	u, s3, flt, err := o.lake.validate()
	if err != nil {
		return err
	}
	if o.format != "text" && o.format != "json" && o.format != "csv" {
		return usageError("unknown --format %q: allowed are text, json, csv", o.format)
	}
	cat, err := openCatalog(ctx, o.global, o.io, u, s3, flt)
	if err != nil {
		return err
	}
	defer cat.store.Close()
	now := o.io.Now()
	rows := []inventoryRow{}
	for _, s := range cat.series {
		rows = append(rows, inventoryOne(ctx, cat.store, s, cat.keys[s], now))
	}
	return printInventory(o.io.Out, o.format, rows)
}

// inventoryOne sums the footers of a series' files.
func inventoryOne(ctx context.Context, store storage.Sink, s storage.Series, keys []storage.Key, now time.Time) inventoryRow {
	row := inventoryRow{Dataset: s.Dataset, Market: s.Market, Interval: s.Interval, Symbol: s.Symbol}
	d, err := transform.LookupStored(s.Dataset)
	if err != nil {
		row.Unreadable = len(keys)
		return row
	}
	var seen bool
	var first, last, firstKey, lastKey int64
	for _, k := range keys {
		fm, err := store.Meta(ctx, k)
		if err != nil || !fm.HasStats {
			row.Unreadable++
			continue
		}
		row.Files++
		row.Rows += fm.Rows
		row.Bytes += fm.Size
		if fm.Rows == 0 {
			continue
		}
		if !seen {
			first, last, firstKey, lastKey, seen = fm.MinTime, fm.MaxTime, fm.MinKey, fm.MaxKey, true
			continue
		}
		first, last = min(first, fm.MinTime), max(last, fm.MaxTime)
		firstKey, lastKey = min(firstKey, fm.MinKey), max(lastKey, fm.MaxKey)
	}
	if !seen {
		return row
	}
	first, last = d.Millis(first), d.Millis(last)
	row.First, row.Last = ms(first), ms(last)
	if d.Key != d.Time {
		row.FirstID, row.LastID = &firstKey, &lastKey
	}
	// Fresh as of the end of the newest row: a candle's close, a trade's time.
	newest := time.UnixMilli(last)
	if iv, err := transform.ParseCustomInterval(s.Interval); err == nil && d.Intervals {
		newest = time.UnixMilli(iv.CloseTime(last) + 1)
	}
	row.FreshnessSec = now.Sub(newest).Seconds()
	return row
}

func printInventory(w io.Writer, format string, rows []inventoryRow) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"series": rows})
	case "csv":
		cw := csv.NewWriter(w)
		// New columns go at the end, so scripts reading by position keep working.
		cw.Write([]string{"market", "interval", "symbol", "first_candle", "last_candle", "rows", "files", "bytes", "freshness_seconds", "unreadable_files", "dataset", "first_id", "last_id"})
		for _, r := range rows {
			cw.Write([]string{r.Market, r.Interval, r.Symbol, r.First, r.Last, strconv.FormatInt(r.Rows, 10), strconv.Itoa(r.Files),
				strconv.FormatInt(r.Bytes, 10), strconv.FormatFloat(r.FreshnessSec, 'f', 0, 64), strconv.Itoa(r.Unreadable),
				r.Dataset, optInt(r.FirstID), optInt(r.LastID)})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATASET\tMARKET\tINTERVAL\tSYMBOL\tFIRST\tLAST\tROWS\tFILES\tBYTES\tFRESHNESS\tIDS")
	for _, r := range rows {
		fresh := time.Duration(r.FreshnessSec * float64(time.Second)).Round(time.Second).String()
		if r.Unreadable > 0 {
			fresh += fmt.Sprintf(" (%d unreadable files)", r.Unreadable)
		}
		ids := "-"
		if r.FirstID != nil {
			ids = optInt(r.FirstID) + ".." + optInt(r.LastID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", r.Dataset, r.Market, dash(r.Interval), r.Symbol, dash(r.First), dash(r.Last), r.Rows, r.Files, r.Bytes, fresh, ids)
	}
	return tw.Flush()
}

// optInt formats an optional integer, "" when absent.
func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}
