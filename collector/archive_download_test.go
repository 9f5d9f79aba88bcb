package collector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/lakehouse-dev/lakehouse/telemetry"
)

// downloadRetry retries quickly; RequestTimeout is the stall bound.
var downloadRetry = RetryPolicy{Attempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, RequestTimeout: 5 * time.Second}

// genFile is a deterministic file of size bytes, version v: byte i is a
// byte of a multiplicative hash of i/8, so every offset has its own value
// and any misplaced range shows.
type genFile struct {
	size, off int64
	v         uint64
}

func (g *genFile) fill(p []byte, off int64) {
	for j := range p {
		i := uint64(off) + uint64(j)
		w := (i>>3+1)*0x9E3779B97F4A7C15 ^ g.v*0xBF58476D1CE4E5B9
		p[j] = byte(w >> (8 * (i & 7)))
	}
}

func (g *genFile) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.size-g.off)]
	g.fill(p, g.off)
	g.off += int64(len(p))
	return len(p), nil
}

func (g *genFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		g.off = off
	case io.SeekCurrent:
		g.off += off
	case io.SeekEnd:
		g.off = g.size + off
	}
	return g.off, nil
}

// sum is the SHA-256 of version v of a file of size bytes.
func genSum(t testing.TB, size int64, v uint64) string {
	h := sha256.New()
	if _, err := io.Copy(h, &genFile{size: size, v: v}); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileServer serves one genFile through http.ServeContent (Range,
// If-Range, 416), with scripted faults.
type fileServer struct {
	mu       sync.Mutex
	size     int64
	v        uint64
	etag     string    // "" = none
	modified time.Time // zero = no Last-Modified
	statuses []int     // answered, one per request, before the file is served
	// cut: a response stops after this many body bytes, then the
	// connection is closed (or, with stall, left open and silent); cuts
	// responses are cut.
	cut         int64
	cuts        int
	stall       bool
	ignoreRange bool // serve 200 to every Range request
	ignoreIf    bool // honour Range without checking If-Range
	onRequest   func(s *fileServer, n int)
	log         []served
	reached     chan struct{} // closed when a stalled response stalls
}

type served struct {
	rng, ifRange string
	status       int
}

func newFileServer(size int64) *fileServer {
	return &fileServer{size: size, v: 1, etag: `"v1"`, reached: make(chan struct{})}
}

func (s *fileServer) start(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.log)
	s.log = append(s.log, served{rng: r.Header.Get("Range"), ifRange: r.Header.Get("If-Range")})
	if s.onRequest != nil {
		s.onRequest(s, n)
	}
	status := 0
	if len(s.statuses) > 0 {
		status, s.statuses = s.statuses[0], s.statuses[1:]
	}
	cut := int64(-1)
	if s.cuts > 0 && status == 0 { // scripted answers are never cut
		s.cuts--
		cut = s.cut
	}
	size, v, etag, modified, stall := s.size, s.v, s.etag, s.modified, s.stall
	if s.ignoreRange {
		r.Header.Del("Range")
	}
	if s.ignoreIf {
		r.Header.Del("If-Range")
	}
	s.mu.Unlock()
	rec := &cutWriter{ResponseWriter: w, left: cut, stall: stall, ctx: r.Context(), reached: s.reached}
	defer func() {
		s.mu.Lock()
		s.log[n].status = rec.status
		s.mu.Unlock()
	}()
	if status != 0 {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		rec.WriteHeader(status)
		fmt.Fprintf(rec, "scripted %d", status)
		return
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Content-Type", "application/zip")
	http.ServeContent(rec, r, "", modified, &genFile{size: size, v: v})
}

func (s *fileServer) requests() []served {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]served(nil), s.log...)
}

// cutWriter passes left body bytes on, then drops the connection (or
// stalls until the client goes away).
type cutWriter struct {
	http.ResponseWriter
	left    int64 // -1: no cut
	stall   bool
	ctx     context.Context
	reached chan struct{}
	status  int
	once    sync.Once
}

func (c *cutWriter) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.left < 0 || int64(len(p)) <= c.left {
		if c.left >= 0 {
			c.left -= int64(len(p))
		}
		return c.ResponseWriter.Write(p)
	}
	n, _ := c.ResponseWriter.Write(p[:c.left])
	c.left = 0
	if c.stall {
		c.ResponseWriter.(http.Flusher).Flush()
		c.once.Do(func() { close(c.reached) })
		<-c.ctx.Done()
		return n, errors.New("client gone")
	}
	conn, _, err := c.ResponseWriter.(http.Hijacker).Hijack() // flushes what was written
	if err == nil {
		conn.Close()
	}
	return n, errors.New("connection cut")
}

// download runs downloadToFile with the archive client (its retry layer
// is skipped) into a fresh temp folder, closing the result at cleanup and
// checking that the folder is empty then.
func testDownload(t *testing.T, ctx context.Context, url string, limit int64, o ClientOptions) (*downloadedFile, string, error) {
	t.Helper()
	if o.Retry.Attempts == 0 {
		o.Retry = downloadRetry
	}
	dir := t.TempDir()
	f, err := downloadToFile(ctx, NewArchiveHTTPClient(o), url, dir, limit)
	t.Cleanup(func() {
		if f != nil {
			if err := f.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}
		assertEmpty(t, dir)
	})
	if err != nil {
		assertEmpty(t, dir) // removed on failure, before the caller sees it
	}
	return f, dir, err
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left in %s: %s", dir, e.Name())
	}
}

// checkContent compares the downloaded file with version v, byte for byte
// and by digest.
func checkContent(t *testing.T, f *downloadedFile, size int64, v uint64) {
	t.Helper()
	if f.Size != size {
		t.Fatalf("size %d, want %d", f.Size, size)
	}
	if want := genSum(t, size, v); f.SHA256 != want {
		t.Fatalf("sha256 %s, want %s (version %d)", f.SHA256, want, v)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, f.Size)); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		t.Fatalf("file on disk has sha256 %s, the download reported %s", got, f.SHA256)
	}
	if err := f.Verify(f.SHA256); err != nil {
		t.Fatal(err)
	}
	if err := f.Verify(genSum(t, 1, 9)); !errors.Is(err, errChecksumMismatch) {
		t.Fatalf("Verify of another digest: %v, want a checksum mismatch", err)
	}
}

// A dropped or stalled transfer resumes where it stopped with a Range
// request carrying the validator; a replaced file or a server ignoring
// ranges starts over from byte 0, with a fresh hash.
func TestDownloadResume(t *testing.T) {
	const size = 4<<20 + 123
	const cut = size * 8 / 10
	rangeFrom := "bytes=" + strconv.Itoa(cut) + "-"
	replaceAt := func(req int) func(*fileServer, int) {
		return func(s *fileServer, n int) {
			if n == req {
				s.v, s.etag, s.modified = 2, `"v2"`, s.modified.Add(time.Hour)
			}
		}
	}
	modified := time.Date(2024, 2, 1, 8, 30, 0, 0, time.UTC)
	tests := []struct {
		name        string
		setup       func(*fileServer)
		wantRanges  []string // Range header per request
		wantIfRange []string
		wantStatus  []int
		wantVersion uint64
	}{
		{name: "whole", setup: func(s *fileServer) { s.cuts = 0 },
			wantRanges: []string{""}, wantIfRange: []string{""}, wantStatus: []int{200}, wantVersion: 1},
		{name: "cut at 80% resumes", setup: func(*fileServer) {},
			wantRanges: []string{"", rangeFrom}, wantIfRange: []string{"", `"v1"`}, wantStatus: []int{200, 206}, wantVersion: 1},
		{name: "cut twice", setup: func(s *fileServer) { s.cuts, s.cut = 3, size/3 },
			wantRanges:  []string{"", "bytes=" + strconv.Itoa(size/3) + "-", "bytes=" + strconv.Itoa(2*(size/3)) + "-", "bytes=" + strconv.Itoa(3*(size/3)) + "-"},
			wantIfRange: []string{"", `"v1"`, `"v1"`, `"v1"`}, wantStatus: []int{200, 206, 206, 206}, wantVersion: 1},
		{name: "stall resumes", setup: func(s *fileServer) { s.stall = true },
			wantRanges: []string{"", rangeFrom}, wantIfRange: []string{"", `"v1"`}, wantStatus: []int{200, 206}, wantVersion: 1},
		{name: "Last-Modified validator", setup: func(s *fileServer) { s.etag, s.modified = "", modified },
			wantRanges: []string{"", rangeFrom}, wantIfRange: []string{"", modified.Format(http.TimeFormat)}, wantStatus: []int{200, 206}, wantVersion: 1},
		{name: "weak ETag and no date: start over", setup: func(s *fileServer) { s.etag = `W/"v1"` },
			wantRanges: []string{"", ""}, wantIfRange: []string{"", ""}, wantStatus: []int{200, 200}, wantVersion: 1},
		{name: "no validator: start over", setup: func(s *fileServer) { s.etag = "" },
			wantRanges: []string{"", ""}, wantIfRange: []string{"", ""}, wantStatus: []int{200, 200}, wantVersion: 1},
		{name: "server ignores Range", setup: func(s *fileServer) { s.ignoreRange = true },
			wantRanges: []string{"", rangeFrom}, wantIfRange: []string{"", `"v1"`}, wantStatus: []int{200, 200}, wantVersion: 1},
		{name: "replaced mid-way: If-Range answers 200", setup: func(s *fileServer) { s.onRequest = replaceAt(1) },
			wantRanges: []string{"", rangeFrom}, wantIfRange: []string{"", `"v1"`}, wantStatus: []int{200, 200}, wantVersion: 2},
		{name: "replaced, If-Range ignored: 206 of the new ETag starts over",
			setup:      func(s *fileServer) { s.onRequest, s.ignoreIf = replaceAt(1), true },
			wantRanges: []string{"", rangeFrom, ""}, wantIfRange: []string{"", `"v1"`, ""}, wantStatus: []int{200, 206, 200}, wantVersion: 2},
		{name: "replaced by a shorter file: 416 starts over",
			setup: func(s *fileServer) {
				s.onRequest = func(s *fileServer, n int) {
					if n == 1 {
						s.size, s.ignoreIf = cut/2, true
					}
				}
			},
			wantRanges: []string{"", rangeFrom, ""}, wantIfRange: []string{"", `"v1"`, ""}, wantStatus: []int{200, 416, 200}, wantVersion: 1},
		{name: "5xx and 429 between resumes", setup: func(s *fileServer) {
			s.onRequest = func(s *fileServer, n int) {
				if n == 1 {
					s.statuses = []int{503, 429}
				}
			}
		},
			wantRanges:  []string{"", rangeFrom, rangeFrom, rangeFrom},
			wantIfRange: []string{"", `"v1"`, `"v1"`, `"v1"`}, wantStatus: []int{200, 503, 429, 206}, wantVersion: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFileServer(size)
			s.cut, s.cuts = cut, 1
			tt.setup(s)
			srv := s.start(t)
			o := ClientOptions{}
			if s.stall {
				o.Retry = downloadRetry
				o.Retry.RequestTimeout = 500 * time.Millisecond
			}
			f, _, err := testDownload(t, context.Background(), srv.URL+"/data/spot/monthly/trades/BTCUSDT/BTCUSDT-trades-2024-01.zip", 1<<30, o)
			if err != nil {
				t.Fatal(err)
			}
			wantSize := int64(size)
			if tt.name == "replaced by a shorter file: 416 starts over" {
				wantSize = cut / 2
			}
			checkContent(t, f, wantSize, tt.wantVersion)
			reqs := s.requests()
			if len(reqs) != len(tt.wantRanges) || f.Requests != len(reqs) {
				t.Fatalf("requests %+v (downloader counted %d), want Range %q", reqs, f.Requests, tt.wantRanges)
			}
			for i, r := range reqs {
				if r.rng != tt.wantRanges[i] || r.ifRange != tt.wantIfRange[i] || r.status != tt.wantStatus[i] {
					t.Errorf("request %d: Range %q If-Range %q -> %d, want %q %q -> %d", i, r.rng, r.ifRange, r.status, tt.wantRanges[i], tt.wantIfRange[i], tt.wantStatus[i])
				}
			}
		})
	}
}

// Statuses and limits end a download as the archive client would: 404 is
// errNotPublished, 418 a ban, 5xx and 429 are retried up to the policy's
// attempts, a body over the limit fails at once. The temp file is gone
// each time (testDownload checks).
func TestDownloadFailures(t *testing.T) {
	const size = 1 << 20
	tests := []struct {
		name      string
		statuses  []int
		limit     int64
		chunked   bool
		wantReqs  int
		wantErr   func(error) bool
		wantCause string
	}{
		{name: "404", statuses: []int{404}, wantReqs: 1, wantErr: func(err error) bool { return errors.Is(err, errNotPublished) }},
		{name: "418", statuses: []int{418}, wantReqs: 1, wantErr: func(err error) bool { var b *BannedError; return errors.As(err, &b) }},
		{name: "403", statuses: []int{403}, wantReqs: 1, wantErr: func(err error) bool { return err != nil }},
		{name: "500 forever", statuses: []int{500, 500, 500, 500, 500}, wantReqs: downloadRetry.Attempts,
			wantErr: func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.Status == 500 }},
		{name: "Content-Length over limit", limit: size - 1, wantReqs: 1, wantErr: func(err error) bool { return errors.Is(err, ErrBodyTooLarge) }},
		{name: "chunked body over limit", limit: size / 2, chunked: true, wantReqs: 1, wantErr: func(err error) bool { return errors.Is(err, ErrBodyTooLarge) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFileServer(size)
			s.statuses = tt.statuses
			var h http.Handler = s
			if tt.chunked { // no Content-Length: the limit stops the stream
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					s.mu.Lock()
					s.log = append(s.log, served{status: 200})
					s.mu.Unlock()
					io.Copy(struct{ io.Writer }{w}, &genFile{size: size, v: 1})
				})
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			limit := tt.limit
			if limit == 0 {
				limit = 1 << 30
			}
			f, _, err := testDownload(t, context.Background(), srv.URL+"/x.zip", limit, ClientOptions{})
			if !tt.wantErr(err) || f != nil {
				t.Fatalf("err %v (file %v)", err, f)
			}
			if n := len(s.requests()); n != tt.wantReqs {
				t.Fatalf("%d requests, want %d (err %v)", n, tt.wantReqs, err)
			}
		})
	}
}

// Cancelling the context (what SIGTERM does) mid-transfer ends the
// download at once and removes the temp file.
func TestDownloadCancel(t *testing.T) {
	s := newFileServer(8 << 20)
	s.cut, s.cuts, s.stall = 4<<20, 1, true
	srv := s.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	go func() {
		<-s.reached
		waitForPart(t, dir, 1)
		cancel()
	}()
	f, err := downloadToFile(ctx, NewArchiveHTTPClient(ClientOptions{Retry: downloadRetry}), srv.URL+"/big.zip", dir, 1<<30)
	if !errors.Is(err, context.Canceled) || f != nil {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	assertEmpty(t, dir)
}

// waitForPart waits until dir holds a file of at least n bytes.
func waitForPart(t *testing.T, dir string, n int64) {
	for range 2000 {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && fi.Size() >= n {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("no partial download in %s", dir)
}

// Keep moves the verified file into place; Close then leaves it.
func TestDownloadKeep(t *testing.T) {
	const size = 1<<20 + 7
	s := newFileServer(size)
	srv := s.start(t)
	dir := filepath.Join(t.TempDir(), "bronze", "trades")
	f, err := downloadToFile(context.Background(), NewArchiveHTTPClient(ClientOptions{Retry: downloadRetry}), srv.URL+"/BTCUSDT-trades-2024-01.zip", dir, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "BTCUSDT-trades-2024-01.zip")
	if err := f.Keep(dst); err != nil {
		t.Fatal(err)
	}
	checkContent(t, f, size, 1) // still readable after the move
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != filepath.Base(dst) {
		t.Fatalf("bronze folder holds %v, want only the kept zip", entries)
	}
	h := sha256.New()
	kept, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	io.Copy(h, kept)
	if got := hex.EncodeToString(h.Sum(nil)); got != genSum(t, size, 1) {
		t.Fatalf("kept file sha256 %s", got)
	}
}

// Every attempt is one request in the API telemetry, with its own status.
func TestDownloadTelemetry(t *testing.T) {
	const size = 2 << 20
	s := newFileServer(size)
	s.cut, s.cuts, s.statuses = size*8/10, 1, []int{500}
	srv := s.start(t)
	reader := sdkmetric.NewManualReader()
	m, err := telemetry.NewMetrics(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	if err != nil {
		t.Fatal(err)
	}
	o := ClientOptions{Wrap: func(next http.RoundTripper) http.RoundTripper { return m.WrapTransport(next, nil) }}
	f, _, err := testDownload(t, context.Background(), srv.URL+"/data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-02.zip", 1<<30, o)
	if err != nil {
		t.Fatal(err)
	}
	checkContent(t, f, size, 1)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if mt.Name != telemetry.APIRequests {
				continue
			}
			for _, dp := range mt.Data.(metricdata.Sum[int64]).DataPoints {
				code, _ := dp.Attributes.Value("status_code")
				got[code.AsString()] += dp.Value
			}
		}
	}
	if want := map[string]int64{"500": 1, "200": 1, "206": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s by status %v, want %v", telemetry.APIRequests, got, want)
	}
}

// A big file streams through one small buffer: what the whole download
// (client and this process's test server) allocates is a small fraction
// of the file, resume included.
func TestDownloadMemoryFlat(t *testing.T) {
	size := int64(200 << 20)
	if testing.Short() {
		size = 32 << 20
	}
	s := newFileServer(size)
	s.cut, s.cuts = size*8/10, 1
	srv := s.start(t)
	want := genSum(t, size, 1)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f, err := downloadToFile(context.Background(), NewArchiveHTTPClient(ClientOptions{Retry: downloadRetry}), srv.URL+"/big.zip", t.TempDir(), 1<<30)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.SHA256 != want || f.Size != size {
		t.Fatalf("sha256 %s size %d, want %s %d", f.SHA256, f.Size, want, size)
	}
	if reqs := s.requests(); len(reqs) != 2 || reqs[1].rng != "bytes="+strconv.FormatInt(size*8/10, 10)+"-" {
		t.Fatalf("requests %+v, want a resume at 80%%", reqs)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MiB downloaded with %d KiB allocated, heap in use %d KiB", size>>20, alloc>>10, after.HeapInuse>>10)
	if alloc > 8<<20 {
		t.Fatalf("allocated %d bytes for a %d-byte download", alloc, size)
	}
}

// SIGTERM to a process mid-download: the signal cancels its context
// (signal.NotifyContext, as cmd does), and the temp file is gone when the
// process has exited.
func TestDownloadSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM")
	}
	s := newFileServer(16 << 20)
	s.cut, s.cuts, s.stall = 2<<20, 1, true
	srv := s.start(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDownloadHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LAKEHOUSE_DOWNLOAD_HELPER="+srv.URL+"/big.zip", "TMPDIR="+dir)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.reached:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("helper never reached the cut: %s", out)
	}
	waitForPart(t, dir, 1)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("helper: %v, want exit 3 (cancelled); output:\n%s", err, out)
	}
	assertEmpty(t, dir)
}

// TestDownloadHelperProcess is the process TestDownloadSIGTERM signals: it
// downloads into os.TempDir() (its TMPDIR) until SIGTERM.
func TestDownloadHelperProcess(t *testing.T) {
	url := os.Getenv("LAKEHOUSE_DOWNLOAD_HELPER")
	if url == "" {
		t.Skip("run by TestDownloadSIGTERM")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	f, err := downloadToFile(ctx, NewArchiveHTTPClient(ClientOptions{Retry: downloadRetry}), url, "", 1<<30)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "cancelled:", err)
		os.Exit(3)
	}
	fmt.Fprintln(os.Stderr, "not cancelled:", err)
	if f != nil {
		f.Close()
	}
	os.Exit(1)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// Temporary downloads a killed process left behind are removed by the next
// download into their folder once they are stale; live ones and other
// files are not touched.
func TestDownloadSweepsLeftovers(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * staleDownload)
	files := map[string]bool{ // name: removed
		downloadTempPrefix + "BTCUSDT-trades-2024-01.zip" + downloadTempMarker + "123": true,
		downloadTempPrefix + "BTCUSDT-trades-2024-02.zip" + downloadTempMarker + "456": false, // fresh: another download
		".BTCUSDT-1m-2024-01.zip" + downloadTempMarker + "789":                         false, // storage's own
		"notes.txt": false,
	}
	for name := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != downloadTempPrefix+"BTCUSDT-trades-2024-02.zip"+downloadTempMarker+"456" {
			os.Chtimes(p, old, old)
		}
	}
	srv := newFileServer(1 << 10).start(t)
	f, err := downloadToFile(context.Background(), NewArchiveHTTPClient(ClientOptions{Retry: downloadRetry}), srv.URL+"/a.zip", dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := errors.Is(err, os.ErrNotExist); gone != removed {
			t.Errorf("%s: removed %v, want %v", name, gone, removed)
		}
	}
}

func TestContentRange(t *testing.T) {
	for _, tt := range []struct {
		in           string
		start, total int64
		ok           bool
	}{
		{"bytes 100-199/200", 100, 200, true},
		{"bytes 0-0/1", 0, 1, true},
		{"bytes 5-9/*", 5, -1, true},
		{"bytes 200-199/200", 0, 0, false},
		{"bytes */200", 0, 0, false},
		{"items 1-2/3", 0, 0, false},
		{"bytes -1-2/3", 0, 0, false},
		{"", 0, 0, false},
	} {
		start, total, ok := contentRange(tt.in)
		if ok != tt.ok || (ok && (start != tt.start || total != tt.total)) {
			t.Errorf("contentRange(%q) = %d, %d, %v", tt.in, start, total, ok)
		}
	}
}
