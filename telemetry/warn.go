package telemetry

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
)

// warner turns export failures into a single warning per run: a collector
// that is down fails every export, and a CronJob's log should say so
// once, not every five seconds. Later failures go to the debug level.
type warner struct {
	logger *slog.Logger
	once   sync.Once
}

func newWarner(l *slog.Logger) *warner { return &warner{logger: l} }

func (w *warner) warn(msg string, err error) {
	first := false
	w.once.Do(func() { first = true })
	if first {
		w.logger.Warn(msg+"; the run continues without it", "err", err)
		return
	}
	w.logger.Debug(msg, "err", err)
}

// current receives the SDK's asynchronous errors (failed periodic
// exports). OpenTelemetry only offers a process-wide error handler, so the
// handler forwards to the warner of the most recently started Telemetry.
var current atomic.Pointer[warner]

var installOnce sync.Once

type forwardingHandler struct{}

func (forwardingHandler) Handle(err error) {
	if w := current.Load(); w != nil {
		w.warn("telemetry export failed", err)
	}
}

func installErrorHandler(w *warner) {
	current.Store(w)
	installOnce.Do(func() { otel.SetErrorHandler(forwardingHandler{}) })
}
