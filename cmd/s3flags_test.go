package cmd

import (
	"strings"
	"testing"
)

// Bad S3 settings are usage errors: one line, exit 2, nothing fetched, and
// no secret echoed back.
func TestBadS3SettingsExit2(t *testing.T) {
	fake := newFake(t)
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bucket name too short", nil, []string{"--output", "s3://ab/lake"}, "not a valid S3 bucket name"},
		{"secret in the output URL", nil, []string{"--output", "s3://AKIA1:hunter2secret@bucket/lake"}, "credentials do not belong"},
		{"endpoint without scheme", nil, []string{"--output", "s3://bucket/lake", "--s3-endpoint", "minio:9000"}, "--s3-endpoint"},
		{"secret in the endpoint", nil, []string{"--output", "s3://bucket/lake", "--s3-endpoint", "http://admin:hunter2secret@minio:9000"}, "credentials do not belong"},
		{"bucket in the endpoint", nil, []string{"--output", "s3://bucket/lake", "--s3-endpoint", "http://minio:9000/bucket"}, "the bucket goes in --output"},
		{"bad region from env", map[string]string{"LAKEHOUSE_S3_REGION": "EU West"}, []string{"--output", "s3://bucket/lake"}, `--s3-region "EU West"`},
		{"bad path style from env", map[string]string{"LAKEHOUSE_S3_PATH_STYLE": "maybe"}, []string{"--output", "s3://bucket/lake"}, "LAKEHOUSE_S3_PATH_STYLE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := total(fake.Stats().Requests)
			args := append([]string{"collect", "--symbols", "BTCUSDT", "--source", "api", "--binance-api-url", fake.URL()}, tc.args...)
			r := run(t, tc.env, args...)
			lines := strings.Split(strings.TrimSpace(r.err), "\n")
			if r.code != ExitUsage || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and one line containing %q", r.code, r.err, tc.want)
			}
			if strings.Contains(r.err, "hunter2secret") {
				t.Fatalf("the secret is in the error: %q", r.err)
			}
			if total(fake.Stats().Requests) != before {
				t.Fatal("requests were made")
			}
		})
	}
}
