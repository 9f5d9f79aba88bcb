package telemetry

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/metric"
)

// Instrument names (SPEC section 5). They are exported to Prometheus
// exactly like this: the exporter is told not to add unit or _total
// suffixes (see prometheus.go).
const (
	DataIngested             = "crypto_data_ingested_total"
	DataVolume               = "crypto_data_volume_bytes"
	APIRequests              = "crypto_api_requests_total"
	APIRequestDuration       = "crypto_api_request_duration_seconds"
	APIRateLimits            = "crypto_api_rate_limits_total"
	ProcessingDuration       = "crypto_processing_duration_seconds"
	ProcessingThroughput     = "crypto_processing_throughput_records_per_second"
	TransformationErrors     = "crypto_transformation_errors_total"
	StorageOperations        = "crypto_storage_operations_total"
	StorageOperationDuration = "crypto_storage_operation_duration_seconds"
	StorageObjectSize        = "crypto_storage_object_size_bytes"
	StorageErrors            = "crypto_storage_errors_total"
	ProcessingQueueSize      = "crypto_processing_queue_size"
	WorkflowExecutions       = "crypto_workflow_executions_total"
	WorkflowDuration         = "crypto_workflow_duration_seconds"
	WorkflowsActive          = "crypto_workflows_active"
	DataFreshness            = "crypto_data_freshness_seconds"
	SymbolsProcessed         = "crypto_symbols_processed_total"
	MemoryUsage              = "crypto_system_memory_usage_bytes"
	ActiveConnections        = "crypto_active_connections"
	// ClockSkew is issue 16's gauge beside SPEC section 5's instruments.
	ClockSkew = "crypto_clock_skew_seconds"
)

// ScopeName is the instrumentation scope of every instrument and span.
const ScopeName = "github.com/lakehouse-dev/lakehouse"

// Metrics holds every instrument, built once per run. Its recorders
// (API, Storage, Pipeline) precompute attribute sets so that recording a
// measurement allocates nothing.
type Metrics struct {
	ingested        metric.Int64Counter
	volume          metric.Int64Histogram
	apiRequests     metric.Int64Counter
	apiDuration     metric.Float64Histogram
	rateLimits      metric.Int64Counter
	procDuration    metric.Float64Histogram
	throughput      metric.Float64Histogram
	transformErrors metric.Int64Counter
	storageOps      metric.Int64Counter
	storageDuration metric.Float64Histogram
	objectSize      metric.Int64Histogram
	storageErrors   metric.Int64Counter
	queue           metric.Int64UpDownCounter
	executions      metric.Int64Counter
	wfDuration      metric.Float64Histogram
	symbols         metric.Int64Counter

	gauges *gaugeState
	api    apiSets
	caches recorderCaches
}

// NewMetrics creates the instruments on mp.
func NewMetrics(mp metric.MeterProvider) (*Metrics, error) {
	m := mp.Meter(ScopeName)
	var errs []error
	ic := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	ih := func(name, unit, desc string) metric.Int64Histogram {
		h, err := m.Int64Histogram(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return h
	}
	fh := func(name, unit, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return h
	}
	x := &Metrics{
		ingested:        ic(DataIngested, "{record}", "Candles received from a source and accepted for the lake."),
		volume:          ih(DataVolume, "By", "Bytes received from a source per batch (REST page or archive file)."),
		apiRequests:     ic(APIRequests, "{request}", "HTTP requests to the Binance API, per attempt."),
		apiDuration:     fh(APIRequestDuration, "s", "Duration of one HTTP request to the Binance API."),
		rateLimits:      ic(APIRateLimits, "{event}", "Rate-limit answers from Binance: 429 (back off) and 418 (IP ban)."),
		procDuration:    fh(ProcessingDuration, "s", "Duration of one pipeline stage run (fetch, transform, store)."),
		throughput:      fh(ProcessingThroughput, "{record}/s", "Records per second through one pipeline stage run."),
		transformErrors: ic(TransformationErrors, "{error}", "Rows rejected by validation, by error type."),
		storageOps:      ic(StorageOperations, "{operation}", "Storage operations by outcome."),
		storageDuration: fh(StorageOperationDuration, "s", "Duration of one storage operation."),
		objectSize:      ih(StorageObjectSize, "By", "Size of each object written."),
		storageErrors:   ic(StorageErrors, "{error}", "Failed storage operations, by error type."),
		executions:      ic(WorkflowExecutions, "{execution}", "Finished workflow runs by status."),
		wfDuration:      fh(WorkflowDuration, "s", "Duration of a workflow run."),
		symbols:         ic(SymbolsProcessed, "{symbol}", "Symbols whose tasks all succeeded in a run."),
	}
	q, err := m.Int64UpDownCounter(ProcessingQueueSize, metric.WithUnit("{task}"), metric.WithDescription("Tasks planned but not finished yet."))
	x.queue = q
	errs = append(errs, err)
	x.gauges, err = registerGauges(m)
	errs = append(errs, err)
	x.api = newAPISets()
	x.caches = newRecorderCaches()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("create instruments: %w", err)
	}
	return x, nil
}
