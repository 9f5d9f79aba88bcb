package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakehouse-dev/lakehouse/collector"
)

// A user:password@ in any URL setting is refused before anything runs, and
// the refusal does not repeat the secret.
func TestURLCredentialsRefusedAndRedacted(t *testing.T) {
	fake := newFake(t)
	host := strings.TrimPrefix(fake.URL(), "http://")
	const secret = "s3cretPW"
	withCreds := "http://alice:" + secret + "@" + host
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string // in the one-line error
	}{
		{"api url flag", nil, []string{"--binance-api-url", withCreds}, "--binance-api-url"},
		{"api url env", map[string]string{"LAKEHOUSE_BINANCE_API_URL": withCreds}, nil, "env LAKEHOUSE_BINANCE_API_URL"},
		{"archive url flag", nil, []string{"--binance-api-url", fake.URL(), "--binance-archive-url", withCreds}, "--binance-archive-url"},
		{"archive url env", map[string]string{"LAKEHOUSE_BINANCE_ARCHIVE_URL": withCreds}, []string{"--binance-api-url", fake.URL()}, "env LAKEHOUSE_BINANCE_ARCHIVE_URL"},
		{"api url token as user", nil, []string{"--binance-api-url", "http://" + secret + "@" + host}, "--binance-api-url"},
		{"unparsable api url", nil, []string{"--binance-api-url", "http://alice:" + secret + "#x@" + host}, "--binance-api-url"},
		{"otlp flag url", nil, []string{"--binance-api-url", fake.URL(), "--otlp-endpoint", "https://alice:" + secret + "@otel.example.com:4317"}, "--otlp-endpoint"},
		{"otlp flag host:port", nil, []string{"--binance-api-url", fake.URL(), "--otlp-endpoint", "alice:" + secret + "@otel.example.com:4317"}, "--otlp-endpoint"},
		{"otlp flag env", map[string]string{"LAKEHOUSE_OTLP_ENDPOINT": "https://alice:" + secret + "@otel.example.com"}, []string{"--binance-api-url", fake.URL()}, "env LAKEHOUSE_OTLP_ENDPOINT"},
		{"OTEL endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://alice:" + secret + "@otel.example.com"}, []string{"--binance-api-url", fake.URL()}, "OTEL_EXPORTER_OTLP_ENDPOINT="},
		{"OTEL metrics endpoint", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://alice:" + secret + "@otel.example.com"}, []string{"--binance-api-url", fake.URL()}, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="},
		{"OTEL traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "alice:" + secret + "@otel.example.com:4317"}, []string{"--binance-api-url", fake.URL()}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="},
	}
	for _, tc := range cases {
		for _, command := range []string{"collect", "config"} {
			t.Run(command+" "+tc.name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "lake")
				before := fake.Stats()
				args := append([]string{command, "--symbols", "BTCUSDT", "--timeframes", "1h", "--start", "2024-03-14", "--output", dir, "--source", "auto"}, tc.args...)
				r := run(t, tc.env, args...)
				if r.code != ExitUsage {
					t.Fatalf("exit %d, want 2; stderr %q", r.code, r.err)
				}
				lines := strings.Split(strings.TrimSpace(r.err), "\n")
				if len(lines) != 1 || !strings.Contains(lines[0], tc.want) || !strings.Contains(lines[0], "<redacted>") || !strings.Contains(lines[0], "credentials in the URL are refused") {
					t.Fatalf("stderr %q, want one line naming %q with the URL redacted", r.err, tc.want)
				}
				if strings.Contains(r.out+r.err, secret) {
					t.Fatalf("the secret was printed: %q", r.out+r.err)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Fatalf("output folder was created")
				}
				if after := fake.Stats(); total(after.Requests) != total(before.Requests) {
					t.Fatalf("Binance was called")
				}
			})
		}
	}
}

// A --config file is one more way to give a URL.
func TestURLCredentialsInConfigFileRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lakehouse.yaml")
	os.WriteFile(file, []byte("binance-api-url: https://alice:s3cretPW@proxy.example.com\n"), 0o644)
	r := run(t, nil, "collect", "--symbols", "BTCUSDT", "--output", t.TempDir(), "--config", file)
	if r.code != ExitUsage || strings.Contains(r.err, "s3cretPW") || !strings.Contains(r.err, "file "+file) {
		t.Fatalf("exit %d stderr %q, want 2 naming the file and no secret", r.code, r.err)
	}
}

func TestParseBaseURLNeverEchoesCredentials(t *testing.T) {
	for _, in := range []string{
		"https://alice:s3cretPW@api.example.com",
		"https://s3cretPW@api.example.com/",
		"https://alice:s3cr#tPW@api.example.com", // url.Parse fails on it
		"https://alice:s3cr/tPW@api.example.com", // '/' ends the host for url.Parse
		"alice:s3cretPW@api.example.com",
	} {
		_, err := collector.ParseBaseURL("--binance-api-url", in)
		if err == nil || strings.Contains(err.Error(), "s3cr") || !strings.Contains(err.Error(), "<redacted>@api.example.com") {
			t.Errorf("ParseBaseURL(%q) = %v, want a refusal without the secret", in, err)
		}
	}
}
