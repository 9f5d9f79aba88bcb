package collector_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// badRowsSource serves every candle of a task in pages of 1000, every
// fourth one valid and the others rejected: prices that do not parse, then
// a high below the low, then a close time off the grid.
type badRowsSource struct{}

func (badRowsSource) Fetch(ctx context.Context, t collector.Task, emit func([]transform.RawKline) error) error {
	step := t.Interval.Duration().Milliseconds()
	page := make([]transform.RawKline, 0, 1000)
	for i, ot := 0, t.Start; ot < t.End; i, ot = i+1, ot+step {
		k := transform.RawKline{OpenTime: ot, CloseTime: ot + step - 1, Open: "1", High: "2", Low: "1", Close: "1.5",
			Volume: "1", QuoteAssetVolume: "1", TradeNum: 1, TakerBuyBaseAssetVolume: "1", TakerBuyQuoteAssetVolume: "1"}
		switch i % 4 {
		case 1:
			k.Open = "1,5" // a format change: decimal commas
		case 2:
			k.High = "0.5"
		case 3:
			k.CloseTime = ot + step
		}
		if page = append(page, k); len(page) == cap(page) {
			if err := emit(page); err != nil {
				return err
			}
			page = page[:0]
		}
	}
	if len(page) > 0 {
		return emit(page)
	}
	return nil
}

// TestManyRejectedRows: a day of 1s candles of which three in four are
// rejected keeps exact counts per reason in the result and the metrics, but
// only the first few rows of each reason, however many there are.
func TestManyRejectedRows(t *testing.T) {
	e := newEnv(t)
	reader := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(telemetry.OTLPTemporality))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tel := telemetry.New(context.Background(), telemetry.Config{Logger: logger, Readers: []sdkmetric.Reader{reader}})
	t.Cleanup(func() { tel.Shutdown(time.Second) })
	start := day("2024-03-01")
	task := collector.Task{Market: collector.Spot, Symbol: "BTCUSDT", Interval: "1s", Start: start.UnixMilli(), End: start.AddDate(0, 0, 1).UnixMilli(), From: "start"}
	r := &collector.Runner{
		Sink: e.store, Mem: e.mem, Now: func() time.Time { return now }, Concurrency: 1, Logger: logger, Telemetry: tel,
		Source: func(collector.Market) collector.Source { return collector.InstrumentSource(badRowsSource{}, tel) },
	}
	res := r.Run(context.Background(), []collector.Task{task})[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	const rows = 86_400
	if res.Fetched != rows || res.Added != rows/4 {
		t.Fatalf("fetched %d, added %d; want %d and %d", res.Fetched, res.Added, rows, rows/4)
	}
	want := map[string]int{transform.ErrParse: rows / 4, transform.ErrOHLC: rows / 4, transform.ErrCloseTime: rows / 4}
	if got := res.Rejected.ByReason(); len(got) != len(want) || got[transform.ErrParse] != rows/4 || got[transform.ErrOHLC] != rows/4 || got[transform.ErrCloseTime] != rows/4 {
		t.Fatalf("rejected by reason %v, want %v", got, want)
	}
	if res.Rejected.Total() != 3*rows/4 {
		t.Fatalf("rejected %d, want %d", res.Rejected.Total(), 3*rows/4)
	}
	ex := res.Rejected.Examples()
	if len(ex) != 3*transform.MaxRejectionExamples {
		t.Fatalf("%d examples kept, want %d", len(ex), 3*transform.MaxRejectionExamples)
	}
	if ex[0].OpenTime != task.Start+1000 || ex[0].Type != transform.ErrParse {
		t.Errorf("first example %v, want the parse error of the second candle", ex[0])
	}

	// The metric counts every row, recorded once per page and reason.
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	m, ok := findMetric(rm, telemetry.TransformationErrors)
	if !ok {
		t.Fatal("no transformation errors exported")
	}
	pts := points(t, m, metricdata.DeltaTemporality, nil)
	for reason, n := range want {
		key := attrKey(map[string]string{"operation": "transform", "error_type": reason, "data_type": "klines"})
		if pts[key] != float64(n) {
			t.Errorf("%s: metric %v, want %d (%v)", reason, pts[key], n, pts)
		}
	}
	if len(pts) != len(want) {
		t.Errorf("%d data points, want %d: %v", len(pts), len(want), pts)
	}
}
