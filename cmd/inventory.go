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
func inventoryOne(ctx context.Context, store *storage.Store, s storage.Series, keys []storage.Key, now time.Time) inventoryRow {
	row := inventoryRow{Market: s.Market, Interval: s.Interval, Symbol: s.Symbol}
	var first, last int64
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
		if first == 0 || fm.MinOpenTime < first {
			first = fm.MinOpenTime
		}
		last = max(last, fm.MaxOpenTime)
	}
	if first != 0 {
		row.First, row.Last = ms(first), ms(last)
		if iv, err := transform.ParseInterval(s.Interval); err == nil {
			closed := time.UnixMilli(iv.CloseTime(last) + 1)
			row.FreshnessSec = now.Sub(closed).Seconds()
		}
	}
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
		cw.Write([]string{"market", "interval", "symbol", "first_candle", "last_candle", "rows", "files", "bytes", "freshness_seconds", "unreadable_files"})
		for _, r := range rows {
			cw.Write([]string{r.Market, r.Interval, r.Symbol, r.First, r.Last, strconv.FormatInt(r.Rows, 10), strconv.Itoa(r.Files),
				strconv.FormatInt(r.Bytes, 10), strconv.FormatFloat(r.FreshnessSec, 'f', 0, 64), strconv.Itoa(r.Unreadable)})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MARKET\tINTERVAL\tSYMBOL\tFIRST\tLAST\tROWS\tFILES\tBYTES\tFRESHNESS")
	for _, r := range rows {
		fresh := time.Duration(r.FreshnessSec * float64(time.Second)).Round(time.Second).String()
		if r.Unreadable > 0 {
			fresh += fmt.Sprintf(" (%d unreadable files)", r.Unreadable)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.Market, r.Interval, r.Symbol, dash(r.First), dash(r.Last), r.Rows, r.Files, r.Bytes, fresh)
	}
	return tw.Flush()
}
