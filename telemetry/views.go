package telemetry

import (
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Explicit histogram boundaries (SPEC section 5).
var (
	APIDurationBuckets        = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30}
	ProcessingDurationBuckets = []float64{0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800}
	StorageDurationBuckets    = []float64{0.01, 0.1, 0.5, 1, 5, 10, 30, 60}
	BytesBuckets              = []float64{1024, 10240, 102400, 1048576, 10485760, 104857600, 1073741824}
)

// views gives every histogram its boundaries and, in production, drops
// the crypto_debug_* instruments so they never reach a paid backend.
func views(environment string) []sdkmetric.View {
	buckets := func(name string, b []float64) sdkmetric.View {
		return sdkmetric.NewView(
			sdkmetric.Instrument{Name: name, Kind: sdkmetric.InstrumentKindHistogram},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: b}},
		)
	}
	vs := []sdkmetric.View{
		buckets(APIRequestDuration, APIDurationBuckets),
		buckets(ProcessingDuration, ProcessingDurationBuckets),
		buckets(StorageOperationDuration, StorageDurationBuckets),
		buckets(DataVolume, BytesBuckets),
		buckets(StorageObjectSize, BytesBuckets),
	}
	if environment == "production" {
		vs = append(vs, sdkmetric.NewView(
			sdkmetric.Instrument{Name: "crypto_debug_*"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}},
		))
	}
	return vs
}

// OTLPTemporality is what the OTLP exporter asks for: delta for counters
// and histograms (each export says what happened since the last one, so a
// short CronJob run adds up correctly in the backend), cumulative for
// up-down counters and gauges, whose meaning is a current level.
func OTLPTemporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	switch k {
	case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindHistogram, sdkmetric.InstrumentKindObservableCounter:
		return metricdata.DeltaTemporality
	}
	return metricdata.CumulativeTemporality
}
