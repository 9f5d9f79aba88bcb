package collector

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRESTBodyLimits: the retry layer reads at most a few MiB of a klines
// page and 16 MiB of other REST responses, fails a longer body at once
// (no retry), and does not reserve memory for a Content-Length before the
// bytes arrive: a server that declares 64 MiB and sends 1 KiB costs about
// what it sent.
func TestRESTBodyLimits(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		n, _ := strconv.Atoi(r.URL.Query().Get("send"))
		if decl := r.URL.Query().Get("declare"); decl != "" {
			w.Header().Set("Content-Length", decl) // a lie: the handler returns after n bytes
		}
		w.Write(bytes.Repeat([]byte("["), n))
	}))
	defer srv.Close()
	hc := NewHTTPClient(ClientOptions{Retry: RetryPolicy{Attempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, RequestTimeout: 5 * time.Second}})
	get := func(path string) ([]byte, error) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
	for _, tc := range []struct {
		name, path string
		tooLarge   bool
	}{
		{"a klines page", "/api/v3/klines?send=300000", false},
		{"a klines page of 5 MiB", "/api/v3/klines?send=5242880", true},
		{"a futures page of 5 MiB", "/fapi/v1/klines?send=5242880", true},
		{"exchangeInfo of 5 MiB", "/fapi/v1/exchangeInfo?send=5242880", false},
		{"exchangeInfo of 17 MiB", "/fapi/v1/exchangeInfo?send=17825792", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits.Store(0)
			body, err := get(tc.path)
			if tc.tooLarge {
				if !errors.Is(err, ErrBodyTooLarge) || hits.Load() != 1 {
					t.Fatalf("err %v after %d requests; want ErrBodyTooLarge after 1", err, hits.Load())
				}
				return
			}
			want, _ := strconv.Atoi(tc.path[strings.Index(tc.path, "send=")+5:])
			if err != nil || len(body) != want {
				t.Fatalf("err %v, %d bytes; want %d", err, len(body), want)
			}
		})
	}

	t.Run("declared 64 MiB, sent 1 KiB", func(t *testing.T) {
		hits.Store(0)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := get("/api/v3/klines?send=1024&declare=" + strconv.Itoa(64<<20))
		runtime.ReadMemStats(&after)
		if err == nil || hits.Load() != 3 {
			t.Fatalf("err %v after %d requests; want a truncated body, retried", err, hits.Load())
		}
		// Three attempts: today's 64 MiB each would be 192 MiB.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("allocated %d MiB for 3 KiB received", alloc>>20)
		}
	})
}

// TestReadBody: a body is read into one buffer of its declared length when
// that is honest, grows with the bytes that arrive when it is not (or
// unknown), and fails past its limit.
func TestReadBody(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 12<<20)
	for _, tc := range []struct {
		name            string
		n               int
		declared, limit int64
		maxCap          int
		err             bool
	}{
		{"declared", 300_000, 300_000, 4 << 20, 300_001, false},
		{"declared, large", 3 << 20, 3 << 20, 4 << 20, 3<<20 + 1, false},
		{"unknown length", 3 << 20, -1, 4 << 20, 4 << 20, false},
		{"declared far more than sent", 10, 64 << 20, 64 << 20, 16<<20 + 1, false},
		{"declared far more than sent, small limit", 10, 64 << 20, 4 << 20, firstBodyBuf, false},
		{"declared, large limit", 12 << 20, 12 << 20, 64 << 20, 12<<20 + 1, false},
		{"over the limit", 3 << 20, 3 << 20, 1 << 20, 0, true},
		{"over the limit, unknown length", 3 << 20, -1, 1 << 20, 0, true},
		{"empty", 0, 0, 1 << 20, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := readBody(bytes.NewReader(data[:tc.n]), tc.declared, tc.limit)
			if tc.err {
				if !errors.Is(err, ErrBodyTooLarge) {
					t.Fatalf("err %v, want ErrBodyTooLarge", err)
				}
				return
			}
			if err != nil || !bytes.Equal(b, data[:tc.n]) {
				t.Fatalf("err %v, %d bytes; want %d", err, len(b), tc.n)
			}
			if cap(b) > tc.maxCap {
				t.Errorf("buffer of %d bytes for %d, want at most %d", cap(b), tc.n, tc.maxCap)
			}
		})
	}
}
