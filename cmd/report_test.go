package cmd

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

func reportTime(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

// writeKlines stores the spot candles of interval iv opening in [from, to)
// except those in skip, in the files their periods give; each gap is
// recorded as confirmed empty at Binance in the file of its period.
func writeKlines(t *testing.T, st *storage.Store, sym string, iv transform.Interval, from, to int64, skip []collector.Range, gaps []storage.SourceGap) {
	t.Helper()
	rows := map[string][]transform.Kline{}
	for ot := from; ot < to; ot = iv.Next(ot) {
		p := iv.Period(ot)
		if slices.ContainsFunc(skip, func(r collector.Range) bool { return r.Start <= ot && ot < r.End }) {
			continue
		}
		rows[p] = append(rows[p], transform.Kline{OpenTime: ot, Open: 100, High: 101, Low: 99, Close: 100.5, Volume: 2,
			CloseTime: iv.CloseTime(ot), QuoteVolume: 201, Trades: 7, TakerBuyBase: 1, TakerBuyQuote: 100.5})
	}
	for _, p := range slices.Sorted(maps.Keys(rows)) {
		var in []storage.SourceGap
		for _, g := range gaps {
			if iv.Period(g.From) == p {
				in = append(in, g)
			}
		}
		var meta map[string]string
		if len(in) > 0 {
			meta = map[string]string{storage.MetaSourceGaps: storage.FormatSourceGaps(in)}
		}
		rec := recordOf(rows[p])
		k := storage.Key{Dataset: "klines", Market: "spot", Interval: iv.String(), Symbol: sym, Period: p}
		if _, err := st.Write(context.Background(), k, rec, meta, storage.Precondition{}); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
}

// writeTradesDay stores n trades of a market's BTCUSDT on day, ids from
// firstID on, one a minute from 00:00.
func writeTradesDay(t *testing.T, st *storage.Store, market, day string, firstID int64, n int) {
	t.Helper()
	b, err := transform.NewTradesBuilder(memory.DefaultAllocator, market)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	start := reportTime(day+"T00:00:00Z") * 1000
	for i := range n {
		tr := transform.Trade{ID: firstID + int64(i), Price: 100, Qty: 0.5, QuoteQty: 50, Time: start + int64(i)*60_000_000, IsBestMatch: market == "spot"}
		if !b.Append(tr) {
			t.Fatalf("trade %+v rejected", tr)
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	if _, err := st.Write(context.Background(), tradesKey(transform.TradesData, market, day), rec, nil, storage.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

// The lake of the report tests, and what the report must say of it.
const (
	reportBTC1m       = "ccmcpcgccc" // 2024-03-01..10: the 3rd missing, the 5th partial, the 7th a gap at Binance
	reportETH1m       = "cccc"       // 2024-02-28..03-02, two month files
	reportSpotTrades  = "ccmcp"      // 2024-03-01..05: the 3rd missing, the 5th's ids do not follow the 4th's
	reportUsdmTrades  = "ccc"        // futures trade ids skip values between days: still complete
	reportLongMissing = "2023-06-15" // the only day missing from the 1d series
)

// reportBTC1d are the days of the 1d series: 2023-01-01..2024-03-09 (434
// days), 2023-06-15 (the 166th) missing.
var reportBTC1d = strings.Repeat("c", 165) + "m" + strings.Repeat("c", 434-166)

// writeReportLake fills dir with the lake described above; with long, also
// 1d BTCUSDT candles from 2023-01-01 to 2024-03-09 without 2023-06-15, so
// that the lake spans more days than the page draws one cell a day.
func writeReportLake(t *testing.T, dir string, long bool) {
	t.Helper()
	st := openTestLake(t, dir)
	writeKlines(t, st, "BTCUSDT", "1m", reportTime("2024-03-01T00:00:00Z"), reportTime("2024-03-11T00:00:00Z"),
		[]collector.Range{
			{Start: reportTime("2024-03-03T00:00:00Z"), End: reportTime("2024-03-04T00:00:00Z")}, // the whole day: missing
			{Start: reportTime("2024-03-05T12:00:00Z"), End: reportTime("2024-03-05T13:00:00Z")}, // an hour: partial
			{Start: reportTime("2024-03-07T03:00:00Z"), End: reportTime("2024-03-07T05:00:00Z")}, // two hours, confirmed empty below
		},
		[]storage.SourceGap{{From: reportTime("2024-03-07T03:00:00Z"), To: reportTime("2024-03-07T05:00:00Z"), Confirmed: testNow.Add(-time.Hour)}})
	writeKlines(t, st, "ETHUSDT", "1m", reportTime("2024-02-28T00:00:00Z"), reportTime("2024-03-03T00:00:00Z"), nil, nil)
	if long {
		writeKlines(t, st, "BTCUSDT", "1d", reportTime("2023-01-01T00:00:00Z"), reportTime("2024-03-10T00:00:00Z"),
			[]collector.Range{{Start: reportTime(reportLongMissing + "T00:00:00Z"), End: reportTime(reportLongMissing+"T00:00:00Z") + reportDayMs}}, nil)
	}
	id := int64(1000)
	for _, d := range []string{"2024-03-01", "2024-03-02", "2024-03-04", "2024-03-05"} {
		if d == "2024-03-05" {
			id += 5 // ids 1012..1016 are in no file
		}
		writeTradesDay(t, st, "spot", d, id, 4)
		id += 4
	}
	for i, d := range []string{"2024-03-01", "2024-03-02", "2024-03-03"} {
		writeTradesDay(t, st, "usdm", d, 5000+int64(i)*10, 3)
	}
}

func reportJSON(t *testing.T, args ...string) reportData {
	t.Helper()
	r := run(t, nil, append([]string{"report", "--format", "json"}, args...)...)
	if r.code != ExitOK {
		t.Fatalf("report: exit %d: %s %s", r.code, r.out, r.err)
	}
	var rep reportData
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("report json: %v\n%s", err, r.out)
	}
	return rep
}

func reportSeriesName(s reportSeries) string {
	return strings.Join(slices.DeleteFunc([]string{s.Dataset, s.Market, s.Interval, s.Symbol}, func(x string) bool { return x == "" }), "/")
}

// TestReportJSONMatchesTheLake: the data the page draws says of every day
// of the lake what it is, with a line for each day that is not complete.
func TestReportJSONMatchesTheLake(t *testing.T) {
	dir := t.TempDir()
	writeReportLake(t, dir, true)
	rep := reportJSON(t, "--output", dir)
	type want struct {
		first, days string
		rows        int64
		files       int
	}
	wants := map[string]want{
		"klines/spot/1m/BTCUSDT": {"2024-03-01", reportBTC1m, 10*1440 - 1440 - 60 - 120, 1},
		"klines/spot/1m/ETHUSDT": {"2024-02-28", reportETH1m, 4 * 1440, 2},
		"klines/spot/1d/BTCUSDT": {"2023-01-01", reportBTC1d, 433, 2},
		"trades/spot/BTCUSDT":    {"2024-03-01", reportSpotTrades, 16, 4},
		"trades/usdm/BTCUSDT":    {"2024-03-01", reportUsdmTrades, 9, 3},
	}
	if len(rep.Series) != len(wants) {
		t.Fatalf("%d series, want %d: %+v", len(rep.Series), len(wants), rep.Series)
	}
	for _, s := range rep.Series {
		name := reportSeriesName(s)
		w, ok := wants[name]
		if !ok {
			t.Errorf("unexpected series %s", name)
			continue
		}
		if s.Error != "" || s.FirstDay != w.first || s.Days != w.days || s.Rows != w.rows || s.Files != w.files {
			t.Errorf("%s: first %s days %q rows %d files %d err %q\nwant first %s days %q rows %d files %d", name,
				s.FirstDay, s.Days, s.Rows, s.Files, s.Error, w.first, w.days, w.rows, w.files)
		}
		counts := map[byte]int{}
		for i := range s.Days {
			counts[s.Days[i]]++
		}
		if s.Complete != counts['c'] || s.Partial != counts['p'] || s.Missing != counts['m'] || s.Gap != counts['g'] {
			t.Errorf("%s: counts %d/%d/%d/%d do not match %q", name, s.Complete, s.Partial, s.Missing, s.Gap, s.Days)
		}
		if len(s.Notes) != len(s.Days)-counts['c'] {
			t.Errorf("%s: notes %v for days %q", name, s.Notes, s.Days)
		}
	}
	notes := map[string]map[string]string{}
	for _, s := range rep.Series {
		notes[reportSeriesName(s)] = s.Notes
	}
	for series, n := range map[string]map[string]string{
		"klines/spot/1m/BTCUSDT": {
			"2024-03-03": "1440 of 1440 candles missing, none stored",
			"2024-03-05": "60 of 1440 candles missing",
			"2024-03-07": "120 of 1440 candles confirmed empty at Binance",
		},
		"trades/spot/BTCUSDT": {
			"2024-03-03": "no rows stored",
			"2024-03-05": "ids 1012..1016 missing before the day's first id 1017",
		},
		"klines/spot/1d/BTCUSDT": {reportLongMissing: "1 of 1 candles missing, none stored"},
	} {
		for d, text := range n {
			if got := notes[series][d]; got != text {
				t.Errorf("%s %s: note %q, want %q", series, d, got, text)
			}
		}
	}
	if rep.Generated != testNow.Format(time.RFC3339) || rep.Location == "" {
		t.Errorf("header: %+v", rep)
	}
}

// TestReportReadsFootersOnly: each file's footer is read once, and the only
// file read whole is the klines file whose footer shows missing candles.
func TestReportReadsFootersOnly(t *testing.T) {
	dir := t.TempDir()
	writeReportLake(t, dir, false)
	lb, err := storage.NewLocalBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	cb := &openCounter{Backend: lb, opens: map[string]int{}}
	store := storage.NewStore(cb, memory.DefaultAllocator, storage.WriteOptions{})
	cat, err := store.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for _, s := range storage.SortedSeries(cat) {
		rs := reportOne(context.Background(), store, s, cat[s], testNow)
		if rs.Error != "" || rs.Days == "" {
			t.Fatalf("%s: %+v", reportSeriesName(rs), rs)
		}
		for _, k := range cat[s] {
			fm, err := store.Meta(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			sizes[k.Path()] = fm.Size
		}
	}
	whole := storage.Key{Dataset: "klines", Market: "spot", Interval: "1m", Symbol: "BTCUSDT", Period: "2024-03"}.Path()
	// Store.Meta opens a file and reads its footer; Store.Read opens it
	// once more for its rows. The Meta calls above opened each file once.
	for path := range sizes {
		opens := cb.opens[path] - 1
		switch {
		case path == whole && opens != 2:
			t.Errorf("%s opened %d times, want 2 (its footer, then its rows once)", path, opens)
		case path != whole && opens != 1:
			t.Errorf("%s opened %d times, want 1 (its footer)", path, opens)
		}
	}
	if len(sizes) != 1+2+4+3 {
		t.Errorf("files %v", sizes)
	}
}

// openCounter counts the opens of each file.
type openCounter struct {
	storage.Backend
	mu    sync.Mutex
	opens map[string]int
}

func (b *openCounter) Open(ctx context.Context, name string) (storage.Object, error) {
	o, err := b.Backend.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.opens[name]++
	b.mu.Unlock()
	return o, nil
}

func TestReportBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"report", "--output", dir, "--format", "pdf"},
		{"report", "--output", dir, "--market", "moon"},
		{"report", "--output", dir, "--timeframes", "1x"},
		{"report", "--output", dir, "--symbols", "BTC-USDT"},
		{"report", "--output", dir, "--data", "no_such_data"},
	} {
		if r := run(t, nil, args...); r.code != ExitUsage || r.out != "" {
			t.Errorf("%v: exit %d, %d bytes out, err %q", args, r.code, len(r.out), r.err)
		}
	}
}

// TestReportUnreadableSeriesIsListed: a series whose footer cannot be read
// is in the report with its error, not left out, and the others are drawn.
func TestReportUnreadableSeriesIsListed(t *testing.T) {
	dir := t.TempDir()
	writeReportLake(t, dir, false)
	writeWrongSchema(t, dir+"/"+storage.Key{Dataset: "klines", Market: "spot", Interval: "1m", Symbol: "ETHUSDT", Period: "2024-03"}.Path())
	rep := reportJSON(t, "--output", dir)
	for _, s := range rep.Series {
		switch name := reportSeriesName(s); {
		case name == "klines/spot/1m/ETHUSDT" && (s.Error == "" || s.Days != ""):
			t.Errorf("%s: %+v, want its error and no days", name, s)
		case name != "klines/spot/1m/ETHUSDT" && (s.Error != "" || s.Days == ""):
			t.Errorf("%s: %+v", name, s)
		}
	}
}
