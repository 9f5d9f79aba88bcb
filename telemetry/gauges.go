package telemetry

import (
	"context"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// gaugeState holds the levels the observable gauges report at each
// collection; recording into it is an atomic add or a map update.
type gaugeState struct {
	connections atomic.Int64
	workflows   atomic.Int64
	now         func() time.Time

	mu        sync.Mutex
	freshness map[SeriesID]*freshEntry
	skew      map[string]float64 // by market: local minus exchange clock, seconds
}

type freshEntry struct {
	opt      metric.ObserveOption
	storedMs int64 // close time of the newest stored candle, or time of the newest row
}

func registerGauges(m metric.Meter) (*gaugeState, error) {
	g := &gaugeState{now: time.Now, freshness: map[SeriesID]*freshEntry{}, skew: map[string]float64{}}
	mem, err1 := m.Int64ObservableGauge(MemoryUsage, metric.WithUnit("By"), metric.WithDescription("Memory the Go runtime holds from the OS (excluding released pages)."))
	conns, err2 := m.Int64ObservableGauge(ActiveConnections, metric.WithUnit("{connection}"), metric.WithDescription("Open TCP connections to Binance."))
	active, err3 := m.Int64ObservableGauge(WorkflowsActive, metric.WithUnit("{workflow}"), metric.WithDescription("Workflow runs in progress."))
	fresh, err4 := m.Float64ObservableGauge(DataFreshness, metric.WithUnit("s"), metric.WithDescription("Seconds since the close of the newest stored candle (the time of the newest stored row for datasets without intervals), per series."))
	skew, err5 := m.Float64ObservableGauge(ClockSkew, metric.WithUnit("s"), metric.WithDescription("Local clock minus Binance's clock (from the responses' Date headers), per market; positive: the local clock is ahead."))
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			return nil, err
		}
	}
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	_, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		metrics.Read(samples)
		if samples[0].Value.Kind() == metrics.KindUint64 && samples[1].Value.Kind() == metrics.KindUint64 {
			o.ObserveInt64(mem, int64(samples[0].Value.Uint64()-samples[1].Value.Uint64()))
		}
		o.ObserveInt64(conns, g.connections.Load())
		o.ObserveInt64(active, g.workflows.Load())
		g.mu.Lock()
		defer g.mu.Unlock()
		now := g.now().UnixMilli()
		for _, e := range g.freshness {
			o.ObserveFloat64(fresh, float64(now-e.storedMs)/1000, e.opt)
		}
		for market, v := range g.skew {
			o.ObserveFloat64(skew, v, metric.WithAttributes(attribute.String("market", market)))
		}
		return nil
	}, mem, conns, active, fresh, skew)
	return g, err
}

// SetFreshness records the time (ms) up to which a series is stored: the
// close time of its newest candle, or the time of its newest row for a
// dataset without intervals (trades). The freshness gauge reports now
// minus it. Older values never replace newer ones.
func (m *Metrics) SetFreshness(id SeriesID, storedMs int64) {
	if m == nil {
		return
	}
	g := m.gauges
	id.Interval = id.interval() // "" and NoInterval are one series
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.freshness[id]
	if !ok {
		set := attribute.NewSet(attribute.String("market", id.Market), attribute.String("symbol", id.Symbol),
			attribute.String("interval", id.Interval), attribute.String("data_type", id.DataType))
		e = &freshEntry{opt: metric.WithAttributeSet(set)}
		g.freshness[id] = e
	}
	e.storedMs = max(e.storedMs, storedMs)
}

// SetClock replaces the clock of the freshness gauge: collect hands its
// exchange clock, so freshness is measured on Binance's time.
func (m *Metrics) SetClock(now func() time.Time) {
	if m != nil && now != nil {
		m.gauges.mu.Lock()
		m.gauges.now = now
		m.gauges.mu.Unlock()
	}
}

// SetClockSkew records local minus exchange time for a market (seconds).
func (m *Metrics) SetClockSkew(market string, seconds float64) {
	if m == nil {
		return
	}
	m.gauges.mu.Lock()
	defer m.gauges.mu.Unlock()
	m.gauges.skew[market] = seconds
}
