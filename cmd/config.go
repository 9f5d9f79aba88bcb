package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lakehouse-dev/lakehouse/collector"
)

// configEntry is one effective setting.
type configEntry struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

// NewCmdConfig builds `lakehouse config`: it takes exactly collect's flags,
// env and config file, validates them like collect, and prints the
// effective configuration with the source of each value instead of running.
func NewCmdConfig(io IO, g *globalOptions) *cobra.Command {
	var c *cobra.Command
	var format string
	// Without --symbols the configuration is shown anyway, marking what
	// collect still needs.
	c = newCollectCmd(&collectOptions{io: io, global: g, symbolsOptional: true}, func(_ context.Context, _ *collectOptions, p *collectPlan) error {
		if format != "text" && format != "json" {
			return usageError("unknown --format %q: allowed are text, json", format)
		}
		return printConfig(io, c, g, format, p.missing)
	})
	c.Use = "config"
	c.Short = "Print the effective collect configuration (flags, LAKEHOUSE_*/OTEL_*/AWS_* env, --config file) with secrets redacted"
	c.Example = `  lakehouse config
  LAKEHOUSE_SYMBOLS=BTCUSDT lakehouse config --config lakehouse.yaml --format json`
	c.Flags().StringVar(&format, "format", "text", "output: text, json")
	return c
}

// sourceMissing marks a setting collect needs and nothing gave.
const sourceMissing = "MISSING: collect needs it"

func printConfig(io IO, c *cobra.Command, g *globalOptions, format string, missing []string) error {
	var entries []configEntry
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" || f.Name == "format" {
			return
		}
		src := g.sources[f.Name]
		if src == "" {
			src = sourceDefault
		}
		if slices.Contains(missing, "--"+f.Name) {
			src = sourceMissing
		}
		entries = append(entries, configEntry{Name: "--" + f.Name, Value: redactValue(f.Name, flagValue(f)), Source: src})
	})
	for _, kv := range environ(io) {
		name, value, _ := strings.Cut(kv, "=")
		for _, prefix := range []string{"OTEL_", "AWS_", "DEPLOYMENT_ENV", "JOB_COMPLETION_INDEX"} {
			if strings.HasPrefix(name, prefix) {
				entries = append(entries, configEntry{Name: name, Value: redactValue(name, value), Source: sourceEnv})
			}
		}
	}
	if format == "json" {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		if missing == nil {
			missing = []string{}
		}
		return enc.Encode(map[string]any{"settings": entries, "missing": missing})
	}
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tSOURCE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.Value, e.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(missing) > 0 {
		fmt.Fprintf(io.Out, "collect still needs: %s (e.g. --symbols BTCUSDT,ETHUSDT or LAKEHOUSE_SYMBOLS)\n", strings.Join(missing, ", "))
	}
	return nil
}

func flagValue(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

// environ lists the process environment through io.Getenv's view: the
// names come from a fixed list of variables lakehouse and its SDKs read.
func environ(io IO) []string {
	names := []string{
		"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SDK_DISABLED",
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_INSECURE",
		"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
		"OTEL_METRIC_EXPORT_INTERVAL", "OTEL_METRIC_EXPORT_TIMEOUT",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"DEPLOYMENT_ENV", "JOB_COMPLETION_INDEX",
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		if v := io.Getenv(n); v != "" {
			out = append(out, n+"="+v)
		}
	}
	return out
}

const redacted = "<redacted>"

// redactValue hides secrets: credential variables entirely, the values of
// OTLP headers (tokens), and passwords in URLs.
func redactValue(name, value string) string {
	upper := strings.ToUpper(name)
	switch {
	case value == "":
		return value
	case strings.Contains(upper, "SECRET"), strings.Contains(upper, "TOKEN") && !strings.HasSuffix(upper, "_FILE"),
		strings.Contains(upper, "PASSWORD"):
		return redacted
	case upper == "AWS_ACCESS_KEY_ID":
		if len(value) > 4 {
			return value[:4] + "…" + redacted
		}
		return redacted
	case strings.HasSuffix(upper, "_HEADERS"):
		parts := strings.Split(value, ",")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok {
				parts[i] = k + "=" + redacted
			}
		}
		return strings.Join(parts, ",")
	}
	// URLs: the whole user:password@ (a user name alone can be a token),
	// also when the URL does not parse.
	if strings.Contains(value, "://") {
		if shown, ok := collector.RedactUserinfo(value); ok {
			return shown
		}
	}
	return value
}
