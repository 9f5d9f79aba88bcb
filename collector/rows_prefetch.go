package collector

import (
	"context"
	"fmt"
)

// A busy day of trades downloads in a few tenths of a second over a fast
// link and decodes in seconds on two cores; downloaded one after the
// other, each download left a core idle. So while a file decodes, the
// next archive file of the task downloads (one ahead, so a task holds at
// most two temporary zips on disk).

// rowsDownload is an archive file's CHECKSUM and zip, downloaded to a
// temporary file and hashed but not compared yet (rowsFileOnce does).
type rowsDownload struct {
	sum  *memBody
	want string // the CHECKSUM's digest
	dl   *downloadedFile
}

// downloadRowsFile downloads f's CHECKSUM and zip. The run's download
// slots bound the downloads in flight, not the decoding after them.
func (r *Runner) downloadRowsFile(ctx context.Context, f ArchiveFile) (*rowsDownload, error) {
	a := r.Archive
	url := a.URL(f)
	sumBody, err := a.get(ctx, url+".CHECKSUM", maxChecksumSize)
	if err != nil {
		return nil, err
	}
	want, err := parseChecksum(string(sumBody.b), f.Name())
	if err != nil {
		return nil, &ArchiveError{URL: url + ".CHECKSUM", Err: fmt.Errorf("%w: %v", errUnreadable, err)}
	}
	if r.downloads != nil {
		select {
		case r.downloads <- struct{}{}:
			defer func() { <-r.downloads }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	dl, err := downloadToFile(ctx, a.client, url, "", maxRowsZip)
	if err != nil {
		return nil, err
	}
	return &rowsDownload{sum: sumBody, want: want, dl: dl}, nil
}

// rowsAhead is what fetchRows tells the decoding of a file about the
// next one: which file it is, and its download once started.
type rowsAhead struct {
	ctx     context.Context // the task's
	next    *ArchiveFile    // the next segment's file, if it has one
	pending *rowsPrefetch
}

// start begins downloading the next file, unless it is already.
func (a *rowsAhead) start(r *Runner) {
	if a == nil || a.next == nil || (a.pending != nil && a.pending.file == *a.next) {
		return
	}
	a.pending.discard()
	a.pending = r.prefetchRowsFile(a.ctx, *a.next)
}

// take returns the download of f if it was started ahead (nil, nil if
// not); the caller then owns its file.
func (a *rowsAhead) take(ctx context.Context, f ArchiveFile) (*rowsDownload, error) {
	if a == nil || a.pending == nil || a.pending.file != f {
		return nil, nil
	}
	p := a.pending
	a.pending = nil
	select {
	case <-p.done:
		return p.got, p.err
	case <-ctx.Done():
		p.discard()
		return nil, ctx.Err()
	}
}

// close discards a download nobody took.
func (a *rowsAhead) close() {
	if a != nil {
		a.pending.discard()
		a.pending = nil
	}
}

// rowsPrefetch is the download of one file in its own goroutine.
type rowsPrefetch struct {
	file   ArchiveFile
	cancel context.CancelFunc
	done   chan struct{} // closed when got and err are set
	got    *rowsDownload
	err    error
}

func (r *Runner) prefetchRowsFile(ctx context.Context, f ArchiveFile) *rowsPrefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &rowsPrefetch{file: f, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.got, p.err = r.downloadRowsFile(ctx, f)
	}()
	return p
}

// discard stops the download, waits for it and removes its file. It may
// be called on nil.
func (p *rowsPrefetch) discard() {
	if p == nil {
		return
	}
	p.cancel()
	<-p.done
	if p.got != nil {
		p.got.dl.Close()
		p.got = nil
	}
}
