package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigShowsSourcesAndRedactsSecrets(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lakehouse.yaml")
	os.WriteFile(file, []byte("symbols: [BTCUSDT, ETHUSDT]\ntimeframes: 1h\nconcurrency: 8\nlookback: 7d\n"), 0o644)
	env := map[string]string{
		"LAKEHOUSE_TIMEFRAMES":       "1m,5m", // env beats file
		"LAKEHOUSE_CONFIG":           file,
		"AWS_ACCESS_KEY_ID":          "AKIAEXAMPLEKEYID1234",
		"AWS_SECRET_ACCESS_KEY":      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSUPERSECRET",
		"AWS_SESSION_TOKEN":          "FwoGZXIvYXdzEXAMPLESESSIONTOKEN",
		"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Basic c2VjcmV0OnRva2Vu,organization=default,stream-name=lake",
		"OTEL_SERVICE_NAME":          "lake-prod",
		// URL settings of lakehouse refuse credentials; the SDKs' do not.
		"AWS_ENDPOINT_URL": "https://user:hunter2pass@minio.example.com",
	}
	r := run(t, env, "config", "--lookback", "2d", "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, secret := range []string{"wJalrXUtnFEMI", "SUPERSECRET", "EXAMPLESESSIONTOKEN", "c2VjcmV0OnRva2Vu", "EXAMPLEKEYID1234", "hunter2pass"} {
		if strings.Contains(r.out+r.err, secret) {
			t.Errorf("config printed the secret %q:\n%s", secret, r.out)
		}
	}
	var cfg struct{ Settings []configEntry }
	if err := json.Unmarshal([]byte(r.out), &cfg); err != nil {
		t.Fatal(err)
	}
	got := map[string]configEntry{}
	for _, e := range cfg.Settings {
		got[e.Name] = e
	}
	want := map[string][2]string{
		"--symbols":                  {"BTCUSDT,ETHUSDT", "file " + file},
		"--timeframes":               {"1m,5m", "env LAKEHOUSE_TIMEFRAMES"},
		"--concurrency":              {"8", "file " + file},
		"--lookback":                 {"2d", "flag"},
		"--market":                   {"spot", "default"},
		"OTEL_SERVICE_NAME":          {"lake-prod", "env"},
		"OTEL_EXPORTER_OTLP_HEADERS": {"Authorization=<redacted>,organization=<redacted>,stream-name=<redacted>", "env"},
		"AWS_SECRET_ACCESS_KEY":      {"<redacted>", "env"},
	}
	for name, w := range want {
		if e := got[name]; e.Value != w[0] || e.Source != w[1] {
			t.Errorf("%s = %+v, want value %q from %q", name, e, w[0], w[1])
		}
	}
	if v := got["AWS_ENDPOINT_URL"].Value; v != "https://<redacted>@minio.example.com" {
		t.Errorf("AWS_ENDPOINT_URL = %q: the host should stay visible, the credentials not", v)
	}
	// Text output redacts too.
	r = run(t, env, "config")
	if r.code != ExitOK || strings.Contains(r.out, "SUPERSECRET") || !strings.Contains(r.out, "AWS_SECRET_ACCESS_KEY") {
		t.Errorf("text config: %d\n%s", r.code, r.out)
	}
}

func TestConfigFileErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("symbolz: BTCUSDT\n"), 0o644)
	for _, args := range [][]string{
		{"collect", "--config", bad, "--symbols", "BTCUSDT"},
		{"collect", "--config", filepath.Join(dir, "missing.yaml"), "--symbols", "BTCUSDT"},
	} {
		r := run(t, nil, append(args, "--output", dir)...)
		if r.code != ExitUsage || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
			t.Errorf("%v: exit %d %q", args, r.code, r.err)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		r := run(t, nil, "completion", shell)
		if r.code != ExitOK || !strings.Contains(r.out, "lakehouse") || len(r.out) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes", shell, r.code, len(r.out))
		}
	}
}

// TestConfigWithoutSymbols (issue 16): config shows the configuration
// without --symbols, marking it as what collect still needs (exit 0);
// collect itself still refuses to run without it (exit 2).
func TestConfigWithoutSymbols(t *testing.T) {
	r := run(t, nil, "config", "--timeframes", "1h")
	if r.code != ExitOK {
		t.Fatalf("config without --symbols: exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"--symbols", sourceMissing, "collect still needs: --symbols"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("config output lacks %q:\n%s", want, r.out)
		}
	}
	r = run(t, nil, "config", "--format", "json")
	var got struct {
		Missing []string `json:"missing"`
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || r.code != ExitOK || len(got.Missing) != 1 || got.Missing[0] != "--symbols" {
		t.Errorf("config --format json: exit %d, missing %v (%v)", r.code, got.Missing, err)
	}
	if r := run(t, nil, "config", "--symbols", "BTCUSDT", "--format", "json"); !strings.Contains(r.out, `"missing": []`) {
		t.Errorf("config with symbols lists missing settings:\n%s", r.out)
	}
	if r := run(t, nil, "collect"); r.code != ExitUsage || !strings.Contains(r.err, "--symbols is required") {
		t.Errorf("collect without --symbols: exit %d %q", r.code, r.err)
	}
}
