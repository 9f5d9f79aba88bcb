package cmd

import (
	"bytes"
	"log/slog"
	"math"
	"strings"
	"testing"
)

// fakeRuntime stands in for runtime/debug.SetMemoryLimit.
type fakeRuntime struct{ limit int64 }

func (f *fakeRuntime) set(n int64) int64 {
	old := f.limit
	if n >= 0 {
		f.limit = n
	}
	return old
}

func TestDefaultMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         string
		concurrency int
		start       int64 // the runtime's limit before (GOMEMLIMIT's, or none)
		wantMiB     int64
		wantLog     string
	}{
		{"default", "", 4, math.MaxInt64, 80, "MiB=80 from=default"},
		{"low concurrency keeps the default", "", 1, math.MaxInt64, 80, "MiB=80 from=default"},
		{"scales with concurrency", "", 8, math.MaxInt64, 160, "MiB=160 from=default"},
		{"GOMEMLIMIT wins", "300MiB", 4, 300 << 20, 300, "MiB=300 from=GOMEMLIMIT"},
		{"GOMEMLIMIT=off", "off", 4, math.MaxInt64, -1, "no soft memory limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := &fakeRuntime{limit: tc.start}
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			io := IO{Getenv: func(k string) string {
				if k == "GOMEMLIMIT" {
					return tc.env
				}
				return ""
			}, SetMemoryLimit: rt.set}
			applyMemoryLimit(io, logger, tc.concurrency)
			if tc.wantMiB >= 0 && rt.limit != tc.wantMiB<<20 {
				t.Errorf("limit %d MiB, want %d", rt.limit>>20, tc.wantMiB)
			}
			if tc.wantMiB < 0 && rt.limit != math.MaxInt64 {
				t.Errorf("limit %d, want none", rt.limit)
			}
			if !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log %q, want %q", logs.String(), tc.wantLog)
			}
		})
	}
	// In-process (tests, embedding) the runtime is left alone.
	applyMemoryLimit(IO{Getenv: func(string) string { return "" }}, slog.Default(), 4)
}
