package storage_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// noConditionalProxy fronts the test server like an S3-compatible server
// that does not implement conditional writes: 501 NotImplemented.
func noConditionalProxy(t *testing.T, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && (r.Header.Get("If-Match") != "" || r.Header.Get("If-None-Match") != "") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotImplemented)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented</Message></Error>`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// syncBuffer is a log sink safe for the SDK's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Without conditional writes the backend warns once and checks versions
// with a HEAD before writing, so sequential runs keep their guarantees.
func TestS3FallbackWithoutConditionalWrites(t *testing.T) {
	shared := testS3Server(t)
	var logs syncBuffer
	u, err := storage.ParseOutput("s3://" + shared.bucket + "/" + t.Name() + "-" + randomName(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := storage.OpenBackendWith(context.Background(), u, storage.Options{
		S3:     storage.S3Config{Endpoint: noConditionalProxy(t, shared.endpoint), PathStyle: true},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
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
	if n := strings.Count(logs.String(), "does not support conditional writes"); n != 1 {
		t.Fatalf("warned %d times, want once:\n%s", n, logs.String())
	}
}
