package collector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Trade zips reach about a gigabyte, so they are never held in memory:
// downloadToFile streams one to a temporary file, hashing it on the way,
// and resumes a dropped transfer with a Range request instead of starting
// over. Small files (kline zips, CHECKSUMs) keep using ArchiveSource.get.

// downloadedFile is a complete download: an open temporary file (read it
// with ReadAt, e.g. zip.NewReader(f, f.Size)) and its SHA-256. Close
// removes the file unless Keep moved it into place. The digest is not
// compared with anything: the caller checks it against the CHECKSUM
// (Verify) before it trusts a byte.
type downloadedFile struct {
	*os.File
	Size     int64
	SHA256   string // lower-case hex
	Requests int    // HTTP requests it took, resumes and restarts included
	kept     bool
	closed   bool
}

// A temporary download is named ".lakehouse-dl-<zip name>.tmp-<random>".
// downloadTempMarker is the storage backend's marker, so one in a bronze
// folder is never listed as an object; the prefix lets sweepDownloads find
// those a killed process (SIGKILL, OOM) left in the temp folder.
const (
	downloadTempPrefix = ".lakehouse-dl-"
	downloadTempMarker = ".tmp-"
)

// staleDownload is the age after which a temporary download nobody writes
// to is a leftover: a live one is written to at least every
// RequestTimeout, and a finished one is read within minutes.
const staleDownload = time.Hour

// A download reads through downloadHashBufs buffers of downloadBuf bytes.
const (
	downloadBuf      = 128 << 10
	downloadHashBufs = 4
)

// maxRequestsPerAttempt bounds the requests of one download to this many
// times RetryPolicy.Attempts: a transfer that keeps dropping after making
// progress is resumed, but not forever.
const maxRequestsPerAttempt = 8

// errStalled is an attempt that received nothing for RequestTimeout.
var errStalled = errors.New("download stalled")

// permanentError is a failure another request would not mend.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// downloadToFile GETs url into a temporary file in dir (os.TempDir() when
// ""; a bronze folder when the file is to be kept: see Keep), at most
// limit bytes. client may be the archive client (NewArchiveHTTPClient):
// its body-reading retry layer is skipped, its policy and everything below
// it are kept, so every attempt is paced and counted as usual; the retries
// happen here. A 404 is errNotPublished, a 418 a *BannedError, 429 and 5xx
// are retried and end as a *StatusError, a body over limit is
// ErrBodyTooLarge at once. On any error, including ctx's cancellation
// (SIGTERM), the temporary file is removed before it returns.
func downloadToFile(ctx context.Context, client *http.Client, url, dir string, limit int64) (*downloadedFile, error) {
	c, policy := perAttempt(client, ArchiveRetryPolicy)
	if dir == "" {
		dir = os.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("download %s: %w", url, err)
	}
	sweepDownloads(dir)
	f, err := os.CreateTemp(dir, downloadTempPrefix+tempBase(url)+downloadTempMarker+"*")
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", url, err)
	}
	d := &download{client: c, policy: policy, url: url, limit: limit, f: f, hash: sha256.New(), total: -1}
	if err := d.run(ctx); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("download %s: %w", url, err)
	}
	return &downloadedFile{File: f, Size: d.n, SHA256: hex.EncodeToString(d.hash.Sum(nil)), Requests: d.requests}, nil
}

// Verify compares the download's digest with want (from parseChecksum).
func (f *downloadedFile) Verify(want string) error {
	if !strings.EqualFold(f.SHA256, want) {
		return fmt.Errorf("%w: CHECKSUM says sha256 %s, downloaded file has %s", errChecksumMismatch, want, f.SHA256)
	}
	return nil
}

// Keep moves the file to dst atomically (fsync, rename) and keeps it
// open for reading; Close no longer removes it. dst must be on the
// temporary file's file system: download into dst's folder.
func (f *downloadedFile) Keep(dst string) error {
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes it private
		return fmt.Errorf("keep %s: %w", dst, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("keep %s: fsync: %w", dst, err)
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return fmt.Errorf("keep %s: %w", dst, err)
	}
	f.kept = true
	if d, err := os.Open(filepath.Dir(dst)); err == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}

// Close closes the file and removes it unless it was kept. It is
// idempotent.
func (f *downloadedFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	err := f.File.Close()
	if !f.kept {
		if rerr := os.Remove(f.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// tempBase names a temporary file after the file it downloads.
func tempBase(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		if b := path.Base(u.Path); b != "." && b != "/" {
			return b
		}
	}
	return "download"
}

// swept holds the folders sweepDownloads has cleaned in this process.
var swept sync.Map

// sweepDownloads removes, once per folder and process, the temporary
// downloads older than staleDownload that a killed process left there:
// SIGKILL runs no cleanup, and each would hold up to a gigabyte.
func sweepDownloads(dir string) {
	if _, done := swept.LoadOrStore(dir, true); done {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), downloadTempPrefix) || !strings.Contains(e.Name(), downloadTempMarker) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleDownload {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// download is the state of one downloadToFile: the bytes in f (n of them,
// all hashed) are those of one version of the file, named by its validator.
type download struct {
	client *http.Client
	policy RetryPolicy
	url    string
	limit  int64

	f        *os.File
	hash     hash.Hash   // written by copy's hashing goroutine only
	bufs     chan []byte // downloadHashBufs free buffers
	n        int64       // bytes in f
	total    int64       // the file's size on the server, -1 unknown
	etag     string      // strong ETag of the bytes in f, if any
	modified string      // their Last-Modified, if any
	requests int
}

// run makes requests until the file is complete. At most
// policy.Attempts attempts in a row may fail without adding a byte; one
// that made progress starts the count and the backoff again.
func (d *download) run(ctx context.Context) error {
	attempts := max(d.policy.Attempts, 1)
	failures := 0
	for {
		before := d.n
		wait, err := d.attempt(ctx)
		if err == nil {
			return nil
		}
		var perm permanentError
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("download %s: %w", d.url, context.Cause(ctx))
		case errors.As(err, &perm):
			return perm.error
		}
		if d.n > before {
			failures = 0
		}
		failures++
		if failures >= attempts || d.requests >= attempts*maxRequestsPerAttempt {
			return fmt.Errorf("download %s: %w (%d requests, %d bytes received)", d.url, err, d.requests, d.n)
		}
		if err := sleep(ctx, max(wait, d.policy.backoff(failures))); err != nil {
			return fmt.Errorf("download %s: %w", d.url, context.Cause(ctx))
		}
	}
}

// attempt makes one request, resuming after the bytes already in f when
// it can. A retryable failure may ask to wait (Retry-After).
func (d *download) attempt(ctx context.Context) (time.Duration, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// RequestTimeout bounds the wait for the headers and any pause between
	// bytes, not the whole transfer: a gigabyte may take longer than that.
	stall := func() {}
	if t := d.policy.RequestTimeout; t > 0 {
		timer := time.AfterFunc(t, func() { cancel(fmt.Errorf("%w: nothing received for %s", errStalled, t)) })
		defer timer.Stop()
		stall = func() { timer.Reset(t) }
	}
	req, err := http.NewRequestWithContext(actx, http.MethodGet, d.url, nil)
	if err != nil {
		return 0, permanentError{err}
	}
	// Byte offsets must count the file itself, never a gzip of it.
	req.Header.Set("Accept-Encoding", "identity")
	validator := d.etag
	if validator == "" {
		validator = d.modified
	}
	if d.n > 0 && validator == "" {
		// Nothing would tell a replaced file from the one begun:
		// mixing two versions is worse than starting over.
		if err := d.restart(); err != nil {
			return 0, err
		}
	}
	resuming := d.n > 0
	if resuming {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", d.n))
		req.Header.Set("If-Range", validator)
	}
	d.requests++
	resp, err := d.client.Do(req)
	if err != nil {
		var banned *BannedError
		if errors.As(err, &banned) {
			return 0, permanentError{err}
		}
		return 0, d.cause(actx, err)
	}
	defer resp.Body.Close()
	if err := d.accept(resp, resuming); err != nil {
		var wait time.Duration
		if resp.StatusCode == http.StatusTooManyRequests {
			wait = retryAfter(resp, 0)
		}
		return wait, err
	}
	if d.total > d.limit {
		return 0, permanentError{fmt.Errorf("GET %s: %w: %d bytes, more than the %d allowed", d.url, ErrBodyTooLarge, d.total, d.limit)}
	}
	if err := d.copy(resp.Body, stall); err != nil {
		return 0, d.cause(actx, err)
	}
	if d.total >= 0 && d.n != d.total {
		return 0, fmt.Errorf("GET %s: %w: %d of %d bytes", d.url, io.ErrUnexpectedEOF, d.n, d.total)
	}
	return 0, nil
}

// accept checks a response's status and, for a resumed request, that it
// continues the bytes in f; otherwise f starts over with the new version.
func (d *download) accept(resp *http.Response, resuming bool) error {
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		// A plain answer to a plain request, or to a Range request whose
		// file changed (If-Range) or whose server ignores ranges.
		if err := d.restart(); err != nil {
			return err
		}
		d.total = resp.ContentLength
		d.etag, d.modified = strongETag(resp.Header.Get("ETag")), resp.Header.Get("Last-Modified")
		return nil
	case code == http.StatusPartialContent && resuming:
		start, total, ok := contentRange(resp.Header.Get("Content-Range"))
		changed := (d.etag != "" && resp.Header.Get("ETag") != "" && strongETag(resp.Header.Get("ETag")) != d.etag) ||
			(d.etag == "" && resp.Header.Get("Last-Modified") != "" && resp.Header.Get("Last-Modified") != d.modified)
		if !ok || start != d.n || (d.total >= 0 && total >= 0 && total != d.total) || changed {
			err := fmt.Errorf("GET %s: range answer %q does not continue the %d bytes received: starting over", d.url, resp.Header.Get("Content-Range"), d.n)
			return errors.Join(err, d.restart())
		}
		if total >= 0 {
			d.total = total
		}
		return nil
	case code == http.StatusRequestedRangeNotSatisfiable:
		// The file got shorter: a new version.
		err := fmt.Errorf("GET %s: HTTP 416 for bytes %d-: starting over", d.url, d.n)
		return errors.Join(err, d.restart())
	case code == http.StatusNotFound:
		return permanentError{errNotPublished}
	case code == http.StatusTeapot:
		return permanentError{&BannedError{Until: time.Now().Add(retryAfter(resp, 2*time.Minute))}}
	case code == http.StatusTooManyRequests || code >= 500:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return &StatusError{Status: code, Body: string(msg)}
	default:
		return permanentError{fmt.Errorf("GET %s: HTTP %d %s", d.url, code, http.StatusText(code))}
	}
}

// copy appends body to f and the hash, within the limit. The hash runs in
// its own goroutine, downloadHashBufs buffers behind the writes: SHA-256
// of a busy day's zip took as long as receiving and writing it.
func (d *download) copy(body io.Reader, progress func()) error {
	if d.bufs == nil {
		d.bufs = make(chan []byte, downloadHashBufs)
		for range downloadHashBufs {
			d.bufs <- make([]byte, downloadBuf)
		}
	}
	toHash := make(chan []byte, downloadHashBufs)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range toHash {
			d.hash.Write(b)
			d.bufs <- b[:cap(b)]
		}
	}()
	defer func() {
		close(toHash)
		<-hashed // every buffer back, the hash complete
	}()
	for {
		buf := <-d.bufs
		m, err := body.Read(buf)
		if m > 0 {
			if d.n+int64(m) > d.limit {
				d.bufs <- buf
				return permanentError{fmt.Errorf("GET %s: %w: more than the %d bytes allowed", d.url, ErrBodyTooLarge, d.limit)}
			}
			if _, werr := d.f.Write(buf[:m]); werr != nil {
				d.bufs <- buf
				return permanentError{fmt.Errorf("download %s: %w", d.url, werr)}
			}
			toHash <- buf[:m]
			d.n += int64(m)
			progress()
		} else {
			d.bufs <- buf
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("GET %s: %w", d.url, err)
		}
	}
}

// cause names a stall rather than the cancellation it caused.
func (d *download) cause(actx context.Context, err error) error {
	if c := context.Cause(actx); errors.Is(c, errStalled) {
		return fmt.Errorf("GET %s: %w", d.url, c)
	}
	return err
}

// restart empties f and the hash for a new version of the file. Failing
// to is permanent: appending to stale bytes would corrupt the file.
func (d *download) restart() error {
	if d.n > 0 {
		err := d.f.Truncate(0)
		if err == nil {
			_, err = d.f.Seek(0, io.SeekStart)
		}
		if err != nil {
			return permanentError{fmt.Errorf("download %s: start over: %w", d.url, err)}
		}
	}
	d.hash.Reset()
	d.n, d.total, d.etag, d.modified = 0, -1, "", ""
	return nil
}

// strongETag returns etag unless it is weak (W/"..."), which If-Range
// must not use.
func strongETag(etag string) string {
	if strings.HasPrefix(etag, "W/") {
		return ""
	}
	return etag
}

// contentRange parses "bytes first-last/total" (total may be "*", -1).
func contentRange(h string) (start, total int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, size, found := strings.Cut(spec, "/")
	first, _, found2 := strings.Cut(rng, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	if size == "*" {
		return start, -1, true
	}
	total, err = strconv.ParseInt(size, 10, 64)
	return start, total, err == nil && total > start
}
