package cmd

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
	"github.com/lakehouse-dev/lakehouse/storage"
)

// stallingProxy forwards to the S3 server but holds the first Parquet
// upload after some bytes of its body, and says so: the moment a process
// is in the middle of an upload, reproducibly.
type stallingProxy struct {
	*httptest.Server
	stalled chan struct{} // closed when the upload is held
	release chan struct{} // closed by the test once the client is dead
	once    sync.Once
}

func newStallingProxy(t *testing.T, target string) *stallingProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{stalled: make(chan struct{}), release: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = nil
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, ".parquet") {
			p.once.Do(func() {
				r.Body = &stallingBody{ReadCloser: r.Body, after: 1024, stalled: p.stalled, release: p.release}
			})
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// stallingBody passes `after` bytes, then blocks until released and fails
// as a body cut off by a dead client does. (The proxy's server cannot see
// the client go away while a request body is still being read.)
type stallingBody struct {
	io.ReadCloser
	after            int
	stalled, release chan struct{}
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if b.after <= 0 {
		close(b.stalled)
		<-b.release
		return 0, io.ErrUnexpectedEOF
	}
	n, err := b.ReadCloser.Read(p[:min(len(p), b.after)])
	b.after -= n
	return n, err
}

// TestSIGKILLDuringUploadKeepsPreviousObject kills a lakehouse process in
// the middle of replacing a file on S3: the old file must stay intact and
// readable, and the next (resuming) run must complete the data.
func TestSIGKILLDuringUploadKeepsPreviousObject(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	lake := newS3Lake(t)
	fake := newFake(t)
	key := storage.Key{Dataset: "klines", Market: "spot", Interval: "1m", Symbol: "BTCUSDT", Period: "2024-02"}
	base := []string{"collect", "--symbols", "BTCUSDT", "--timeframes", "1m", "--source", "api", "--binance-api-url", fake.URL()}
	if r := run(t, nil, append(append(base, "--start", "2024-02-01", "--end", "2024-02-10"), lake.flags(lake.endpoint)...)...); r.code != ExitOK {
		t.Fatalf("first collect: exit %d\n%s", r.code, r.err)
	}
	before, version := lake.rows(t, key)
	if len(before) != 9*1440 {
		t.Fatalf("first run stored %d rows, want %d", len(before), 9*1440)
	}

	proxy := newStallingProxy(t, lake.endpoint)
	cmd := exec.Command(buildLakehouse(t), append(append(base, "--start", "2024-02-01", "--end", "2024-03-01"), lake.flags(proxy.URL)...)...)
	cmd.Env = os.Environ()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proxy.stalled:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		close(proxy.release)
		t.Fatalf("the run never started an upload\n%s", stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup code runs
		t.Fatal(err)
	}
	cmd.Wait()
	close(proxy.release)

	after, v := lake.rows(t, key)
	if v != version || len(after) != len(before) {
		t.Fatalf("after the kill: version %s (was %s), %d rows (was %d)", v, version, len(after), len(before))
	}
	if names := lake.download(t, t.TempDir()); len(names) != 1 {
		t.Fatalf("the killed run left objects: %v", names)
	}

	// No --start: resume after the newest stored candle, up to the fake's now.
	if r := run(t, nil, append(base, lake.flags(lake.endpoint)...)...); r.code != ExitOK {
		t.Fatalf("resuming collect: exit %d\n%s", r.code, r.err)
	}
	got, _ := lake.rows(t, key)
	want := fake.Klines(binancetest.Spot, "BTCUSDT", "1m", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	if len(got) != len(want) || got[0].OpenTime != want[0].OpenTime || got[len(got)-1].OpenTime != want[len(want)-1].OpenTime {
		t.Fatalf("after resuming %s holds %d rows, want all %d of February", key, len(got), len(want))
	}
}
