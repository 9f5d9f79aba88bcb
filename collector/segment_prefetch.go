package collector

import (
	"context"
	"sync"
)

// DefaultDownloadConcurrency is --download-concurrency's default.
const DefaultDownloadConcurrency = 8

// prefetcher downloads and decodes a task's archive files ahead of the
// consumer, in order. Downloads in flight are bounded for the whole run by
// Runner.downloads; decoded files waiting for the consumer are bounded per
// task by window, which is what keeps memory flat however long the job.
type prefetcher struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	results []chan fileBatch // one per archive segment, nil for others
	window  chan struct{}
}

func (r *Runner) prefetch(ctx context.Context, t Task, segs []Segment) *prefetcher {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetcher{cancel: cancel, results: make([]chan fileBatch, len(segs)), window: make(chan struct{}, r.lookahead())}
	for i, s := range segs {
		if s.File != nil && s.Kind != SegmentStored {
			p.results[i] = make(chan fileBatch, 1)
		}
	}
	nowMs := r.Now().UnixMilli()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for i, s := range segs {
			if p.results[i] == nil {
				continue
			}
			select {
			case p.window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case r.downloads <- struct{}{}:
			case <-ctx.Done():
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				done := r.instrumentArchiveFile(ctx, *s.File)
				fb := r.Archive.fetch(ctx, r.Mem, *s.File, s.Start, s.End, nowMs)
				done(fb)
				<-r.downloads
				p.results[i] <- fb
			}()
		}
	}()
	return p
}

// wait returns segment i's file once it is ready, and frees its window slot.
func (p *prefetcher) wait(ctx context.Context, i int) (fileBatch, error) {
	select {
	case fb := <-p.results[i]:
		<-p.window
		return fb, nil
	case <-ctx.Done():
		return fileBatch{}, ctx.Err()
	}
}

// close stops the downloads and frees every file nobody consumed.
func (p *prefetcher) close() {
	p.cancel()
	p.wg.Wait()
	for _, ch := range p.results {
		if ch == nil {
			continue
		}
		select {
		case fb := <-ch:
			if fb.rec != nil {
				fb.rec.Release()
			}
		default:
		}
	}
}

// lookahead is how many decoded files one task may hold ahead of its
// writer: the run's download slots shared among the tasks running at once,
// at least two so one file downloads while the previous one is written.
func (r *Runner) lookahead() int {
	n := r.downloadLimit() / max(r.Concurrency, 1)
	return max(n, 2)
}

func (r *Runner) downloadLimit() int {
	if r.DownloadConcurrency > 0 {
		return r.DownloadConcurrency
	}
	return DefaultDownloadConcurrency
}
