package cmd

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/lakehouse-dev/lakehouse/collector"
)

// taskProgress draws tasks done/total, rows, bytes, rate and ETA on
// stderr while collect runs.
type taskProgress struct {
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	started time.Time
	rows    int64
	bytes   int64
	failed  int
	what    string // collect, derive
}

var (
	_ collector.Progress       = (*taskProgress)(nil)
	_ collector.DeriveProgress = (*taskProgress)(nil)
)

// isTerminal reports whether w is a terminal; progress is only drawn there,
// so logs in a CronJob or a pipe stay clean.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newTaskProgress(w io.Writer, tasks int, throttle time.Duration) *taskProgress {
	return newProgress(w, tasks, throttle, "collect", "tasks")
}

// newProgress draws a bar of n units of work (collect's tasks, derive's
// gold series).
func newProgress(w io.Writer, n int, throttle time.Duration, what, unit string) *taskProgress {
	p := &taskProgress{started: time.Now(), what: what}
	p.bar = progressbar.NewOptions(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(throttle),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetItsString(unit),
	)
	return p
}

func (p *taskProgress) FileWritten(rows int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rows += int64(rows)
	p.bytes += bytes
	p.bar.Describe(p.describe())
}

func (p *taskProgress) TaskDone(r collector.TaskResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Status == collector.StatusFailed {
		p.failed++
	}
	p.bar.Describe(p.describe())
	p.bar.Add(1)
}

// TargetDone counts a derive target (collector.DeriveProgress).
func (p *taskProgress) TargetDone(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if failed {
		p.failed++
	}
	p.bar.Describe(p.describe())
	p.bar.Add(1)
}

func (p *taskProgress) describe() string {
	rate := float64(p.rows) / max(time.Since(p.started).Seconds(), 0.001)
	s := fmt.Sprintf("%s: %d rows, %s, %.0f rows/s", p.what, p.rows, humanBytes(p.bytes), rate)
	if p.failed > 0 {
		s += fmt.Sprintf(", %d failed", p.failed)
	}
	return s
}

// Finish clears the bar before the summary is printed.
func (p *taskProgress) Finish() { p.bar.Finish() }

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
