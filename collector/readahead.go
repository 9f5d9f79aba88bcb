package collector

import (
	"errors"
	"fmt"
	"io"
)

// readAhead reads src in its own goroutine into a few big buffers, so the
// work behind src (inflating) overlaps with the work of the reader
// (parsing). It is an io.ReadCloser for one consumer, which can also
// borrow the buffers instead of copying them (NextChunk).
type readAhead struct {
	src     aheadSource
	free    chan []byte
	full    chan aheadChunk
	stop    chan struct{}
	done    chan struct{}
	cur     aheadChunk
	off     int
	onClose func() error
	closed  bool
}

// aheadSource fills the read-ahead's buffers (each rowsAheadBufSize bytes)
// and returns the part of buf it filled, with an error after the last
// bytes (io.EOF at the end).
type aheadSource interface {
	fill(buf []byte) ([]byte, error)
	Close() error
}

// rowsAheadBufSize is a read-ahead buffer: rowsAheadBuf bytes of data,
// plus the window and margin of a decoder writing straight into it
// (mappedEntry).
const rowsAheadBufSize = rowsAheadBuf + 64<<10

type aheadChunk struct {
	buf []byte // the whole buffer, to hand back
	b   []byte // its bytes
	err error  // after b: io.EOF at the end
}

// readerSource fills buffers from an io.ReadCloser.
type readerSource struct{ io.ReadCloser }

func (s readerSource) fill(buf []byte) ([]byte, error) {
	b := buf[:rowsAheadBuf]
	n, err := 0, error(nil)
	for n < len(b) && err == nil {
		var k int
		k, err = s.Read(b[n:])
		n += k
	}
	return b[:n], err
}

// newReadAhead starts reading src; after each buffer filled it calls
// progress (in the reading goroutine), if not nil.
func newReadAhead(src aheadSource, progress func()) *readAhead {
	a := &readAhead{src: src, free: make(chan []byte, rowsAheadBufs), full: make(chan aheadChunk, rowsAheadBufs),
		stop: make(chan struct{}), done: make(chan struct{})}
	for range rowsAheadBufs {
		a.free <- make([]byte, rowsAheadBufSize)
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
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.stop:
			return
		}
		b, err := a.src.fill(buf)
		if progress != nil {
			progress()
		}
		a.full <- aheadChunk{buf: buf, b: b, err: err} // full has room for every buffer
		if err != nil {
			return
		}
	}
}

// next makes the next chunk current, handing the current one back.
func (a *readAhead) next() error {
	if a.cur.err != nil {
		return a.cur.err
	}
	if a.cur.buf != nil {
		a.free <- a.cur.buf
	}
	a.cur, a.off = <-a.full, 0
	if a.cur.b == nil && a.cur.err == nil {
		return errors.New("read ahead: empty chunk")
	}
	return nil
}

func (a *readAhead) Read(p []byte) (int, error) {
	for a.off == len(a.cur.b) {
		if err := a.next(); err != nil {
			return 0, err
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
		if err := a.next(); err != nil {
			return nil, err
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
