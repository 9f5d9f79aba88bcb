package cmd

import (
	"github.com/spf13/pflag"

	"github.com/lakehouse-dev/lakehouse/collector"
)

// credentialFreeURLs are the settings holding a URL that must carry no
// user:password@. They are refused rather than redacted: a URL reaches
// logs, summaries, span attributes and Go's own errors (url.Error,
// net/http, the OTel SDK's error handler), and one missed path would leak
// the secret. None needs credentials there: Binance uses no basic auth,
// and an OTLP backend's credentials belong in OTEL_EXPORTER_OTLP_HEADERS.
var credentialFreeURLs = []struct {
	flag string
	env  []string // other variables read for the same setting (by the SDK)
	hint string
}{
	{flag: "binance-api-url", hint: "Binance needs none"},
	{flag: "binance-archive-url", hint: "Binance needs none"},
	{flag: "otlp-endpoint", env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		hint: "send them as OTEL_EXPORTER_OTLP_HEADERS, e.g. Authorization=Basic ..."},
}

// refuseURLCredentials is a usage error, with the URL redacted, when one of
// credentialFreeURLs (from a flag, LAKEHOUSE_* env, the --config file or the
// OTEL_* variables) has credentials. Commands without the flag skip it.
func (g *globalOptions) refuseURLCredentials(flags *pflag.FlagSet, getenv func(string) string) error {
	for _, s := range credentialFreeURLs {
		f := flags.Lookup(s.flag)
		if f == nil {
			continue
		}
		if shown, ok := collector.RedactUserinfo(f.Value.String()); ok {
			src := g.sources[f.Name]
			if src == "" {
				src = sourceDefault
			}
			return usageError("--%s %q (%s): credentials in the URL are refused: %s", s.flag, shown, src, s.hint)
		}
		for _, name := range s.env {
			if shown, ok := collector.RedactUserinfo(getenv(name)); ok {
				return usageError("%s=%q: credentials in the URL are refused: %s", name, shown, s.hint)
			}
		}
	}
	return nil
}
