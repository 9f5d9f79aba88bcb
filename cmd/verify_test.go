package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// collectLake fills dir from the fake: BTCUSDT and ETHUSDT, 1h and 15m, 2024-02-20 .. 2024-03-10.
func collectLake(t *testing.T, dir string) {
	t.Helper()
	fake := newFake(t)
	r := run(t, nil, "collect", "--symbols", "BTCUSDT,ETHUSDT", "--timeframes", "1h,15m", "--start", "2024-02-20", "--end", "2024-03-10",
		"--output", dir, "--binance-api-url", fake.URL())
	if r.code != ExitOK {
		t.Fatalf("collect: %d %s %s", r.code, r.out, r.err)
	}
}

// rewrite replaces a stored file with rows edited by fn, bypassing merge
// and validation, as a buggy writer or a hand edit would.
func rewrite(t *testing.T, dir string, k storage.Key, fn func([]transform.Kline) []transform.Kline) {
	t.Helper()
	b, _ := storage.NewLocalBackend(dir)
	st := storage.NewStore(b, memory.DefaultAllocator, storage.WriteOptions{Producer: "test"})
	rec, _, err := st.Read(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	rows := fn(transform.Rows(rec))
	rec.Release()
	out := recordOf(rows)
	defer out.Release()
	if _, err := st.Write(context.Background(), k, out, nil, storage.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

func recordOf(rows []transform.Kline) arrow.RecordBatch {
	rb := array.NewRecordBuilder(memory.DefaultAllocator, transform.Schema)
	defer rb.Release()
	for _, k := range rows {
		rb.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(k.OpenTime))
		for i, v := range []float64{k.Open, k.High, k.Low, k.Close, k.Volume} {
			rb.Field(1 + i).(*array.Float64Builder).Append(v)
		}
		rb.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(k.CloseTime))
		rb.Field(7).(*array.Float64Builder).Append(k.QuoteVolume)
		rb.Field(8).(*array.Int64Builder).Append(k.Trades)
		rb.Field(9).(*array.Float64Builder).Append(k.TakerBuyBase)
		rb.Field(10).(*array.Float64Builder).Append(k.TakerBuyQuote)
	}
	return rb.NewRecordBatch()
}

func key(iv, sym, period string) storage.Key {
	return storage.Key{Dataset: "klines", Market: "spot", Interval: iv, Symbol: sym, Period: period}
}

type verifyJSON struct {
	Problems int
	Series   []struct {
		Symbol, Interval string
		Rows             int64
		Problems         []verifyProblem
	}
}

func TestVerifyCleanLake(t *testing.T) {
	dir := t.TempDir()
	collectLake(t, dir)
	r := run(t, nil, "verify", "--output", dir)
	if r.code != ExitOK || !strings.Contains(r.out, "4 series checked") || !strings.Contains(r.out, "0 problems") {
		t.Fatalf("verify clean lake: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

func TestVerifyNamesEachDefect(t *testing.T) {
	dir := t.TempDir()
	collectLake(t, dir)
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	// A duplicate row in BTCUSDT 1h.
	rewrite(t, dir, key("1h", "BTCUSDT", "2024"), func(r []transform.Kline) []transform.Kline {
		return append(r[:11], append([]transform.Kline{r[10]}, r[11:]...)...)
	})
	// A gap in ETHUSDT 1h: drop 2024-03-01 00:00 and 01:00.
	rewrite(t, dir, key("1h", "ETHUSDT", "2024"), func(r []transform.Kline) []transform.Kline {
		var out []transform.Kline
		for _, k := range r {
			if k.OpenTime != t0 && k.OpenTime != t0+3600_000 {
				out = append(out, k)
			}
		}
		return out
	})
	// A broken OHLC row in BTCUSDT 15m (March file).
	rewrite(t, dir, key("15m", "BTCUSDT", "2024-03"), func(r []transform.Kline) []transform.Kline {
		r[4].Low = r[4].High + 1
		return r
	})
	// An unreadable file in ETHUSDT 15m.
	bad := filepath.Join(dir, key("15m", "ETHUSDT", "2024-02").Path())
	if err := os.WriteFile(bad, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file with a wrong schema in a new series.
	writeWrongSchema(t, filepath.Join(dir, key("1d", "BTCUSDT", "2024").Path()))

	r := run(t, nil, "verify", "--output", dir, "--format", "json")
	if r.code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.out, r.err)
	}
	var rep verifyJSON
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	found := map[string]verifyProblem{}
	for _, s := range rep.Series {
		for _, p := range s.Problems {
			found[s.Symbol+" "+s.Interval+" "+p.Kind] = p
		}
	}
	want := map[string]struct{ file, at string }{
		"BTCUSDT 1h duplicate":   {"interval=1h/symbol=BTCUSDT/2024.parquet", "2024-02-20T10:00:00Z"},
		"ETHUSDT 1h gap":         {"interval=1h/symbol=ETHUSDT/2024.parquet", "2024-03-01T00:00:00Z"},
		"BTCUSDT 15m ohlc":       {"interval=15m/symbol=BTCUSDT/2024-03.parquet", "2024-03-01T01:00:00Z"},
		"ETHUSDT 15m unreadable": {"interval=15m/symbol=ETHUSDT/2024-02.parquet", ""},
		"BTCUSDT 1d schema":      {"interval=1d/symbol=BTCUSDT/2024.parquet", ""},
	}
	for k, w := range want {
		p, ok := found[k]
		if !ok {
			t.Errorf("verify did not report %s; found %v", k, found)
			continue
		}
		if !strings.HasSuffix(p.File, w.file) || p.OpenTime != w.at {
			t.Errorf("%s reported as %+v, want file %s at %q", k, p, w.file, w.at)
		}
	}
	if rep.Problems != len(want) {
		t.Errorf("%d problems, want %d: %v", rep.Problems, len(want), found)
	}
	// Text output names them too, and filters narrow the check.
	r = run(t, nil, "verify", "--output", dir, "--symbols", "ETHUSDT", "--timeframes", "1h")
	if r.code != ExitFailed || !strings.Contains(r.out, "gap ") || !strings.Contains(r.out, "1 series checked") {
		t.Errorf("filtered text verify: %d\n%s", r.code, r.out)
	}
	r = run(t, nil, "verify", "--output", dir, "--symbols", "ETHUSDT", "--timeframes", "1h", "--start", "2024-03-02")
	if r.code != ExitOK {
		t.Errorf("a gap before --start is out of scope: %d\n%s", r.code, r.out)
	}
}

func writeWrongSchema(t *testing.T, path string) {
	t.Helper()
	sc := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pqarrow.NewFileWriter(sc, f, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// countingBackend counts the bytes read through it.
type countingBackend struct {
	storage.Backend
	read *int64
}

type countingObject struct {
	storage.Object
	read *int64
}

func (b countingBackend) Open(ctx context.Context, name string) (storage.Object, error) {
	o, err := b.Backend.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return countingObject{o, b.read}, nil
}

func (o countingObject) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.Object.ReadAt(p, off)
	*o.read += int64(n)
	return n, err
}

func TestInventoryMatchesCollectAndReadsOnlyFooters(t *testing.T) {
	dir := t.TempDir()
	fake := newFake(t)
	r := run(t, nil, "collect", "--symbols", "BTCUSDT,ETHUSDT", "--timeframes", "1m,1h", "--start", "2024-01-01", "--end", "2024-03-01",
		"--output", dir, "--binance-api-url", fake.URL())
	if r.code != ExitOK {
		t.Fatalf("collect: %d %s", r.code, r.err)
	}
	r = run(t, nil, "inventory", "--output", dir, "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("inventory: %d %s", r.code, r.err)
	}
	var inv struct{ Series []inventoryRow }
	if err := json.Unmarshal([]byte(r.out), &inv); err != nil {
		t.Fatal(err)
	}
	want := map[string]inventoryRow{
		"1h": {Rows: 60 * 24, Files: 1, First: "2024-01-01T00:00:00Z", Last: "2024-02-29T23:00:00Z"},
		"1m": {Rows: 60 * 24 * 60, Files: 2, First: "2024-01-01T00:00:00Z", Last: "2024-02-29T23:59:00Z"},
	}
	if len(inv.Series) != 4 {
		t.Fatalf("series %+v", inv.Series)
	}
	for _, s := range inv.Series {
		w := want[s.Interval]
		if s.Rows != w.Rows || s.Files != w.Files || s.First != w.First || s.Last != w.Last || s.Bytes == 0 {
			t.Errorf("%s %s: %+v, want %+v", s.Symbol, s.Interval, s, w)
		}
		// Freshness: testNow (2024-03-15 12:34:56) minus the last close (2024-03-01 00:00).
		if got := time.Duration(s.FreshnessSec * float64(time.Second)); got != 14*24*time.Hour+12*time.Hour+34*time.Minute+56*time.Second {
			t.Errorf("%s %s freshness %s", s.Symbol, s.Interval, got)
		}
	}
	csvOut := run(t, nil, "inventory", "--output", dir, "--format", "csv", "--timeframes", "1m")
	if lines := strings.Split(strings.TrimSpace(csvOut.out), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "market,interval,symbol") {
		t.Errorf("csv: %q", csvOut.out)
	}

	// Only footers: the bytes read are a small part of the lake.
	var read int64
	lb, _ := storage.NewLocalBackend(dir)
	store := storage.NewStore(countingBackend{lb, &read}, memory.DefaultAllocator, storage.WriteOptions{})
	cat, err := store.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, s := range storage.SortedSeries(cat) {
		row := inventoryOne(context.Background(), store, s, cat[s], testNow)
		total += row.Bytes
	}
	if read == 0 || read*4 > total {
		t.Fatalf("inventory read %d of %d bytes: more than footers", read, total)
	}

}
