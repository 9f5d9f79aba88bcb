package cmd

import (
	"log/slog"
	"math"
)

// memoryPerTask is the soft memory limit collect sets per concurrent task
// when GOMEMLIMIT is not set: a task holds a few months of 1m candles at
// most (files downloading, decoded, being written), about 15 MiB. With the
// default --concurrency 4 that is 80 MiB of Go memory, which keeps the
// process (binary and runtime included) under 128 MiB of RSS on a
// one-year 1m backfill of 10 symbols (docs/benchmarks.md). The limit is
// soft: the garbage collector works harder near it, nothing fails.
const memoryPerTask = 20 << 20

// applyMemoryLimit sets the default soft memory limit unless GOMEMLIMIT
// already set one, and logs the limit in force.
func applyMemoryLimit(io IO, logger *slog.Logger, concurrency int) {
	if io.SetMemoryLimit == nil {
		return
	}
	from := "GOMEMLIMIT"
	if io.Getenv("GOMEMLIMIT") == "" {
		io.SetMemoryLimit(int64(memoryPerTask) * int64(max(concurrency, 4)))
		from = "default"
	}
	limit := io.SetMemoryLimit(-1) // -1 reads the limit without changing it
	if limit == math.MaxInt64 {
		logger.Debug("no soft memory limit", "from", from)
		return
	}
	logger.Debug("soft memory limit", "MiB", limit>>20, "from", from)
}
