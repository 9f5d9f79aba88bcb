package cmd

import (
	"maps"
	"slices"
)

// withFakeArchive points the archive at the fake REST URL a test gives
// (the fake serves both), unless the test chose an archive URL itself: the
// default, data.binance.vision, must never be reached from a test.
func withFakeArchive(env map[string]string, args []string) map[string]string {
	if env["LAKEHOUSE_BINANCE_ARCHIVE_URL"] != "" || slices.Contains(args, "--binance-archive-url") {
		return env
	}
	api := env["LAKEHOUSE_BINANCE_API_URL"]
	if i := slices.Index(args, "--binance-api-url"); i >= 0 && i+1 < len(args) {
		api = args[i+1]
	}
	out := maps.Clone(env)
	if out == nil {
		out = map[string]string{}
	}
	out["LAKEHOUSE_BINANCE_ARCHIVE_URL"] = api
	if api == "" {
		// No fake given (usage-error tests): an unroutable URL, never Binance.
		out["LAKEHOUSE_BINANCE_ARCHIVE_URL"] = "http://127.0.0.1:9"
	}
	return out
}
