package telemetry

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// opts are the precomputed options of one attribute set. They are kept as
// slices because passing a single option to a variadic interface method
// builds a slice on the heap at every call; passing a stored slice does not.
type opts struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

func newOpts(set attribute.Set) *opts {
	o := metric.WithAttributeSet(set)
	return &opts{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
}

// maxAttrs is the most attributes an instrument of ours has (ingested:
// market, symbol, interval, source, data_type).
const maxAttrs = 5

// attrVals are the values of an attrCache's keys, in their order; unused
// trailing slots stay "".
type attrVals [maxAttrs]string

// attrCache maps up to maxAttrs attribute values (under fixed keys) to
// precomputed options. Lookups with an array key allocate
// nothing; every attribute is bounded, so the cache stays small.
type attrCache struct {
	keys attrVals
	mu   sync.RWMutex
	opts map[attrVals]*opts
}

func newAttrCache(keys ...string) *attrCache {
	if len(keys) > maxAttrs {
		panic("telemetry: too many attribute keys")
	}
	c := &attrCache{opts: map[attrVals]*opts{}}
	copy(c.keys[:], keys)
	return c
}

func (c *attrCache) get(vals attrVals) *opts {
	c.mu.RLock()
	opt, ok := c.opts[vals]
	c.mu.RUnlock()
	if ok {
		return opt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if opt, ok = c.opts[vals]; !ok {
		kvs := make([]attribute.KeyValue, 0, len(c.keys))
		for i, k := range c.keys {
			if k != "" {
				kvs = append(kvs, attribute.String(k, vals[i]))
			}
		}
		opt = newOpts(attribute.NewSet(kvs...))
		c.opts[vals] = opt
	}
	return opt
}

// recorderCaches are the attribute caches of the non-API instruments.
type recorderCaches struct {
	ingested, volume, stage, rejected   *attrCache
	workflow, symbols                   *attrCache
	storageOps, storageDur, storageSize *attrCache
	storageErr                          *attrCache
}

func newRecorderCaches() recorderCaches {
	return recorderCaches{
		ingested:    newAttrCache("market", "symbol", "interval", "source", "data_type"),
		volume:      newAttrCache("market", "source", "data_type"),
		stage:       newAttrCache("operation"),
		rejected:    newAttrCache("operation", "error_type", "data_type"),
		workflow:    newAttrCache("workflow", "status"),
		symbols:     newAttrCache("market"),
		storageOps:  newAttrCache("operation", "status", "backend"),
		storageDur:  newAttrCache("operation", "backend"),
		storageSize: newAttrCache("backend"),
		storageErr:  newAttrCache("operation", "error_type"),
	}
}

// Recorder records the data measurements of one series from one source
// (market, symbol, interval, source, data_type); build it once per task.
type Recorder struct {
	m              *Metrics
	market, source string
	dataType       string
	// ingested is nil in a Volume recorder; volume is the set of
	// dataType.
	ingested, volume *opts
}

// Series returns the Recorder of one series and source ("api",
// "archive").
func (m *Metrics) Series(id SeriesID, source string) *Recorder {
	return &Recorder{
		m: m, market: id.Market, source: source, dataType: id.DataType,
		ingested: m.caches.ingested.get(attrVals{id.Market, id.Symbol, id.interval(), source, id.DataType}),
		volume:   m.caches.volume.get(attrVals{id.Market, source, id.DataType}),
	}
}

// Volume returns a Recorder for the bytes a source of market delivers
// (RecordVolume only), for transports that know no symbol. Its data_type
// is found per response: the dataset the request's context names
// (WithDataType), else the one its path implies (PathDataType).
func (m *Metrics) Volume(market, source string) *Recorder {
	return &Recorder{m: m, market: market, source: source}
}

// RecordIngested counts n rows of one batch accepted for the lake.
func (r *Recorder) RecordIngested(ctx context.Context, n int) {
	if r != nil && n > 0 && r.ingested != nil {
		r.m.ingested.Add(ctx, int64(n), r.ingested.add...)
	}
}

// RecordVolume records the bytes of one batch as received from the
// source. A Volume recorder takes the data_type from ctx (WithDataType),
// DataTypeOther when it names none.
func (r *Recorder) RecordVolume(ctx context.Context, bytes int64) {
	if r == nil {
		return
	}
	dataType := r.dataType
	if r.volume == nil {
		if dataType = DataTypeFrom(ctx); dataType == "" {
			dataType = DataTypeOther
		}
	}
	r.recordVolume(ctx, dataType, bytes)
}

// recordVolume records bytes under dataType, looking its set up (without
// allocating) unless it is the recorder's own.
func (r *Recorder) recordVolume(ctx context.Context, dataType string, bytes int64) {
	opt := r.volume
	if opt == nil || dataType != r.dataType {
		opt = r.m.caches.volume.get(attrVals{r.market, r.source, dataType})
	}
	r.m.volume.Record(ctx, bytes, opt.rec...)
}

// RecordStage records one run of a pipeline stage (operation "fetch_api",
// "fetch_archive", "transform", "store"): its duration and, when it moved
// records, its throughput.
func (m *Metrics) RecordStage(ctx context.Context, operation string, d time.Duration, records int) {
	opt := m.caches.stage.get(attrVals{operation})
	m.procDuration.Record(ctx, d.Seconds(), opt.rec...)
	if records > 0 && d > 0 {
		m.throughput.Record(ctx, float64(records)/d.Seconds(), opt.rec...)
	}
}

// RecordRejected counts n rows of one batch of dataType (the dataset's
// name) rejected with errorType.
func (m *Metrics) RecordRejected(ctx context.Context, dataType, operation, errorType string, n int) {
	if n > 0 {
		m.transformErrors.Add(ctx, int64(n), m.caches.rejected.get(attrVals{operation, errorType, dataType}).add...)
	}
}

// AddQueued changes the number of planned tasks not yet finished.
func (m *Metrics) AddQueued(ctx context.Context, delta int) {
	m.queue.Add(ctx, int64(delta))
}

// RecordSymbolProcessed counts one symbol of market whose tasks succeeded.
func (m *Metrics) RecordSymbolProcessed(ctx context.Context, market string) {
	m.symbols.Add(ctx, 1, m.caches.symbols.get(attrVals{market}).add...)
}
