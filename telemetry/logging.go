// Package telemetry sets up what a run reports about itself: structured
// logs now; metrics and traces (OpenTelemetry) build on the same Settings.
package telemetry

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Settings is handed to every component instead of package globals.
type Settings struct {
	Logger *slog.Logger
}

// NewLogger returns a slog logger writing to w at level ("debug", "info",
// "warn", "error") in format ("text" or "json").
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.TrimSpace(level))); err != nil {
		return nil, fmt.Errorf("unknown --log-level %q: allowed are debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("unknown --log-format %q: allowed are text, json", format)
}
