package cmd

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
)

// TestCollectToS3ReadByDuckDB collects into a real S3 server, downloads the
// objects and has DuckDB read them as a Hive-partitioned lake; a second run
// over the same range must change nothing.
func TestCollectToS3ReadByDuckDB(t *testing.T) {
	lake := newS3Lake(t)
	fake := newFake(t)
	start, end := time.Date(2024, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	args := append([]string{"collect", "--symbols", "BTCUSDT,ETHUSDT", "--timeframes", "5m,1h", "--start", "2024-02-28", "--end", "2024-03-02",
		"--source", "api", "--binance-api-url", fake.URL()}, lake.flags(lake.endpoint)...)
	if r := run(t, nil, args...); r.code != ExitOK {
		t.Fatalf("collect: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	versions := map[string]string{}
	for _, name := range []string{"BTCUSDT", "ETHUSDT"} {
		k := storage.Key{Dataset: "klines", Market: "spot", Interval: "5m", Symbol: name, Period: "2024-02"}
		rows, v := lake.rows(t, k)
		if len(rows) != 2*288 { // Feb 28 and 29 of 2024, 5m
			t.Fatalf("%s holds %d rows, want 576", k, len(rows))
		}
		versions[k.Path()] = v
	}

	dir := t.TempDir()
	names := lake.download(t, dir)
	// Per symbol: 5m in monthly files 2024-02 and 2024-03, 1h in 2024.
	if len(names) != 2*3 || countSuffix(names, "/2024.parquet") != 2 {
		t.Fatalf("downloaded %d objects: %v", len(names), names)
	}
	rows := duckdb(t, `SELECT symbol, interval, epoch_ms(open_time)::BIGINT AS ot, close, trades
		FROM read_parquet('`+dir+`/silver/klines/**/*.parquet', hive_partitioning = true)
		WHERE market = 'spot' ORDER BY symbol, interval, ot`)
	var want []binancetest.Kline
	for _, sym := range []string{"BTCUSDT", "ETHUSDT"} {
		for _, iv := range []string{"1h", "5m"} {
			want = append(want, fake.Klines(binancetest.Spot, sym, iv, start, end)...)
		}
	}
	if len(rows) != len(want) || len(rows) != 2*(72+864) {
		t.Fatalf("DuckDB read %d rows, want %d", len(rows), len(want))
	}
	for i, row := range rows {
		k := want[i]
		c, _ := strconv.ParseFloat(k.Close, 64)
		if row["ot"] != strconv.FormatInt(k.OpenTime, 10) || row["close"] != c || row["trades"] != strconv.FormatInt(k.Trades, 10) {
			t.Fatalf("row %d: DuckDB %v, fake %+v", i, row, k)
		}
	}

	// Idempotence: the same range again rewrites nothing.
	if r := run(t, nil, args...); r.code != ExitOK {
		t.Fatalf("second collect: exit %d\n%s", r.code, r.err)
	}
	for path, v := range versions {
		k, _ := storage.ParseKey(path)
		if _, again := lake.rows(t, k); again != v {
			t.Errorf("%s was rewritten by an identical run (version %s -> %s)", path, v, again)
		}
	}
}

func countSuffix(names []string, suffix string) int {
	n := 0
	for _, name := range names {
		if strings.HasSuffix(name, suffix) {
			n++
		}
	}
	return n
}
