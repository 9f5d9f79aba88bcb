package collector

import (
	"errors"
	"fmt"
	"io"
)

// readAhead reads src in its own goroutine into a few big buffers, so the
// work behind src (inflating) overlaps with the work of the reader
// (parsing). It is an io.ReadCloser for one consumer.
type readAhead struct {
	src     io.ReadCloser
	free    chan []byte
	full    chan aheadChunk
	stop    chan struct{}
	done    chan struct{}
	cur     aheadChunk
	off     int
	onClose func() error
	closed  bool
}

type aheadChunk struct {
	b   []byte
	err error // after b: io.EOF at the end
}

// newReadAhead starts reading src; after each buffer filled it calls
// progress (in the reading goroutine), if not nil.
func newReadAhead(src io.ReadCloser, progress func()) *readAhead {
	a := &readAhead{src: src, free: make(chan []byte, rowsAheadBufs), full: make(chan aheadChunk, rowsAheadBufs),
		stop: make(chan struct{}), done: make(chan struct{})}
	for range rowsAheadBufs {
		a.free <- make([]byte, rowsAheadBuf)
	}
	go a.run(progress)
	return a
}

func (a *readAhead) run(progress func()) {
	defer close(a.done)
	defer func() {
		if p := recover(); p != nil { // a decoder bug must not take the process down
			a.full <- aheadChunk{err: fmt.Errorf("decoding panicked: %v", p)}
		}
	}()
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.stop:
			return
		}
		n, err := 0, error(nil)
		for n < len(b) && err == nil {
			var k int
			k, err = a.src.Read(b[n:])
			n += k
		}
		if progress != nil {
			progress()
		}
		a.full <- aheadChunk{b: b[:n], err: err} // full has room for every buffer
		if err != nil {
			return
		}
	}
}

func (a *readAhead) Read(p []byte) (int, error) {
	for a.off == len(a.cur.b) {
		if a.cur.err != nil {
			return 0, a.cur.err
		}
		if a.cur.b != nil {
			a.free <- a.cur.b[:cap(a.cur.b)]
		}
		a.cur, a.off = <-a.full, 0
		if a.cur.b == nil && a.cur.err == nil {
			return 0, errors.New("read ahead: empty chunk")
		}
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

// NextChunk lends the rest of the current buffer, or the next buffer read
// ahead, without copying it; the bytes are valid until the next call to
// NextChunk or Read, which hands the buffer back to the reading goroutine.
// The trades CSV reader splits its lines in them (transform's
// chunkReader).
func (a *readAhead) NextChunk() ([]byte, error) {
	for a.off == len(a.cur.b) {
		if a.cur.err != nil {
			return nil, a.cur.err
		}
		if a.cur.b != nil {
			a.free <- a.cur.b[:cap(a.cur.b)]
		}
		a.cur, a.off = <-a.full, 0
		if a.cur.b == nil && a.cur.err == nil {
			return nil, errors.New("read ahead: empty chunk")
		}
	}
	b := a.cur.b[a.off:]
	a.off = len(a.cur.b)
	return b, nil
}

// Close stops the reading goroutine and closes src (then onClose).
func (a *readAhead) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	close(a.stop)
	<-a.done
	err := a.src.Close()
	if a.onClose != nil {
		err = errors.Join(err, a.onClose())
	}
	return err
}
