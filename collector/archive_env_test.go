package collector_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
)

// archiveRun describes one collect run against the fake with an archive.
type archiveRun struct {
	req      collector.Request
	mode     collector.SourceMode
	clock    time.Time // data clock of the run; zero = the package's now
	keepRaw  bool
	sink     storage.Sink  // nil = the env's store
	heal     time.Duration // Runner.HealWindow
	progress collector.Progress
}

// newArchiveEnv is newEnv with the fake's data clock at clock.
func newArchiveEnv(t testing.TB, clock time.Time, opts ...binancetest.Option) *env {
	t.Helper()
	return newEnv(t, append([]binancetest.Option{binancetest.WithClock(func() time.Time { return clock })}, opts...)...)
}

// runArchive plans and runs like `lakehouse collect --source MODE`.
func (e *env) runArchive(t testing.TB, ctx context.Context, ar archiveRun) []collector.TaskResult {
	t.Helper()
	clock := ar.clock
	if clock.IsZero() {
		clock = now
	}
	tasks := collector.Plan(ar.req, clock)
	var raw storage.RawStore
	if ar.keepRaw {
		raw = e.store
	}
	// Fast retries, but time for the fake to build a month of 1m candles,
	// which takes seconds under the race detector.
	retry := fastRetry
	retry.RequestTimeout = 2 * time.Minute
	archive := collector.NewArchiveSource(e.fake.URL(), collector.NewArchiveHTTPClient(collector.ClientOptions{Retry: retry}), raw)
	var rest collector.Source
	var sink storage.Sink = e.store
	if ar.sink != nil {
		sink = ar.sink
	}
	r := &collector.Runner{
		Sink: sink, Mem: e.mem, Now: func() time.Time { return clock }, Concurrency: 2,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Archive: archive, Mode: ar.mode, DownloadConcurrency: 4, HealWindow: ar.heal, Progress: ar.progress,
		Source: func(m collector.Market) collector.Source {
			if rest == nil { // built on first use, as the CLI does: archive-only runs make no REST call
				rest = collector.NewRESTSource(ctx, m, e.fake.URL(), collector.NewHTTPClient(collector.ClientOptions{Retry: fastRetry}), ar.req.Symbols[0])
			}
			return rest
		},
	}
	return r.Run(ctx, tasks)
}

// restCalls counts the REST requests (klines and exchangeInfo) the fake saw.
func (e *env) restCalls() int {
	n := 0
	for path, c := range e.fake.Stats().Requests {
		if len(path) > 4 && path[:5] != "/data" {
			n += c
		}
	}
	return n
}

// segmentKinds lists what served a task's range, in order.
func segmentKinds(r collector.TaskResult) []string {
	var out []string
	for _, s := range r.Segments {
		out = append(out, s.Kind)
	}
	return out
}

func countKind(r collector.TaskResult, kind string) int {
	n := 0
	for _, s := range r.Segments {
		if s.Kind == kind {
			n++
		}
	}
	return n
}
