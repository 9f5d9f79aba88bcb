package storage_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// ignoringConditionalProxy fronts the real server like an S3-compatible
// server that ignores conditional writes: it drops If-None-Match and
// If-Match and signs the request again (the SDK signs those headers), so
// the server stores the object and answers 200 where it would answer 412.
func ignoringConditionalProxy(t *testing.T, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}
	region := cmpOr(os.Getenv("AWS_REGION"), "us-east-1")
	// S3 signs the path as sent, not escaped once more.
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Match") != "" {
			r.Header.Del("If-None-Match")
			r.Header.Del("If-Match")
			r.Header.Del("Authorization")
			if err := signer.SignHTTP(r.Context(), creds, r, r.Header.Get("X-Amz-Content-Sha256"), "s3", region, time.Now()); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// openLogged opens a backend on endpoint under a fresh prefix of the shared
// bucket, logging into logs.
func openLogged(t *testing.T, s s3Server, endpoint string, logs *syncBuffer) storage.Backend {
	t.Helper()
	u, err := storage.ParseOutput("s3://" + s.bucket + "/" + t.Name() + "-" + randomName(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := storage.OpenBackendWith(context.Background(), u, storage.Options{
		S3:     storage.S3Config{Endpoint: endpoint, PathStyle: true},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// conditionalSteps writes one object through the four precondition cases
// and checks each outcome and the final content.
func conditionalSteps(t *testing.T, b storage.Backend) {
	t.Helper()
	const name = "silver/klines/market=spot/interval=1h/symbol=BTCUSDT/2024.parquet"
	steps := []struct {
		name    string
		data    string
		cond    func(version string) storage.Precondition
		wantErr error
	}{
		{"create", "v1", func(string) storage.Precondition { return storage.Precondition{IfNoneMatch: true} }, nil},
		{"create again", "v1b", func(string) storage.Precondition { return storage.Precondition{IfNoneMatch: true} }, storage.ErrPrecondition},
		{"replace current", "v2", func(v string) storage.Precondition { return storage.Precondition{IfMatch: v} }, nil},
		{"replace stale", "v3", func(string) storage.Precondition { return storage.Precondition{IfMatch: `"stale"`} }, storage.ErrPrecondition},
	}
	version := ""
	for _, st := range steps {
		err := putBytes(t, b, name, []byte(st.data), st.cond(version))
		if (st.wantErr == nil && err != nil) || (st.wantErr != nil && !errors.Is(err, st.wantErr)) {
			t.Fatalf("%s: %v, want %v", st.name, err, st.wantErr)
		}
		_, version = readAll(t, b, name)
	}
	if data, _ := readAll(t, b, name); string(data) != "v2" {
		t.Fatalf("content %q, want v2", data)
	}
}

// TestS3ProbeConditionalWrites: a server that silently ignores conditional
// headers is found by the probe before the first write and gets the HEAD
// check fallback with the 501 warning, once; the real server, which honours
// them, gets no warning. Either way the probe object is removed.
func TestS3ProbeConditionalWrites(t *testing.T) {
	shared := testS3Server(t)
	for _, tc := range []struct {
		name     string
		endpoint func(t *testing.T) string
		warnings int
	}{
		{"ignoring proxy", func(t *testing.T) string { return ignoringConditionalProxy(t, shared.endpoint) }, 1},
		{"real server", func(*testing.T) string { return shared.endpoint }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			b := openLogged(t, shared, tc.endpoint(t), &logs)
			conditionalSteps(t, b)
			if n := strings.Count(logs.String(), "does not support conditional writes"); n != tc.warnings {
				t.Fatalf("warned %d times, want %d:\n%s", n, tc.warnings, logs.String())
			}
			if tc.warnings > 0 && !strings.Contains(logs.String(), "ignores them") {
				t.Errorf("warning does not say the server ignores the headers:\n%s", logs.String())
			}
			infos, err := b.List(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != 1 {
				t.Fatalf("objects left under the prefix: %v, want only the data file", infos)
			}
		})
	}
}
