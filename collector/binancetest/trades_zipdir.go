package binancetest

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// WithTradesZipDir makes the fake build every trades and aggTrades zip it
// is asked for once, into a file under dir (the archive's own path
// layout), and serve it from that file afterwards: one generation pass
// (hashed on the way) instead of one per request plus one for the digest.
// Benchmarks use it so that a client's timed download costs a file read,
// not the fake's generation; sizes of hundreds of MB stay off the heap.
// Scripted faults still apply (a corrupt-row variant is generated as
// usual). The files are not reused by a later Server: dir should be empty
// or the fake's own.
func WithTradesZipDir(dir string) Option {
	return func(c *config) { c.trades.zipDir = &tradeZipFiles{dir: dir, m: map[string]*tradeZipFile{}} }
}

// tradeZipFiles are the zips built under dir, by URL path.
type tradeZipFiles struct {
	dir string
	mu  sync.Mutex
	m   map[string]*tradeZipFile
}

// tradeZipFile is one zip on disk, built by the first request for it while
// concurrent requests for it wait.
type tradeZipFile struct {
	once sync.Once
	path string
	info zipInfo
	err  error
}

// tradesZipFile returns f's zip on disk, building it first, or false when
// the fake keeps no zip files.
func (s *Server) tradesZipFile(f tradeFile, g *tradeGen) (*tradeZipFile, bool) {
	z := s.cfg.trades.zipDir
	if z == nil {
		return nil, false
	}
	z.mu.Lock()
	e := z.m[f.zipPath]
	if e == nil {
		e = &tradeZipFile{path: filepath.Join(z.dir, filepath.FromSlash(strings.TrimPrefix(f.zipPath, "/")))}
		z.m[f.zipPath] = e
	}
	z.mu.Unlock()
	e.once.Do(func() { e.info, e.err = s.buildTradesZipFile(e.path, f, g) })
	return e, true
}

// buildTradesZipFile generates f's zip into path (through a temporary
// file and a rename) and returns its size and SHA-256.
func (s *Server) buildTradesZipFile(path string, f tradeFile, g *tradeGen) (info zipInfo, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return info, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".building-*")
	if err != nil {
		return info, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	cw := &windowWriter{w: io.MultiWriter(tmp, h), to: 1 << 62, corruptAt: -1}
	bw := bufio.NewWriterSize(cw, 1<<20)
	if err = s.generateTradesZip(bw, f, g, false); err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return info, fmt.Errorf("build %s: %w", path, err)
	}
	info.size = cw.pos
	h.Sum(info.sum[:0])
	return info, nil
}

// copyTo sends the zip's bytes to w. A windowWriter starting past 0 (a
// Range request) is served from its first byte, not read up to it.
func (e *tradeZipFile) copyTo(w io.Writer) error {
	if e.err != nil {
		return e.err
	}
	file, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer file.Close()
	if ww, ok := w.(*windowWriter); ok && ww.pos == 0 && ww.from > 0 {
		if _, err := file.Seek(ww.from, io.SeekStart); err != nil {
			return err
		}
		ww.pos = ww.from
	}
	_, err = io.CopyBuffer(w, struct{ io.Reader }{file}, make([]byte, 256<<10))
	if errors.Is(err, errWindowDone) {
		return nil
	}
	return err
}
