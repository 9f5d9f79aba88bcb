package transform

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// The trade CSV loop reads lines from r through lineReader: with a
// bufio.Reader in general, and, when r can lend the chunks it has read
// ahead (chunkReader: collector's read-ahead of the inflated CSV), from
// those chunks directly. A trades day is hundreds of MB of CSV, and the
// bufio copy of every byte was 1.7% of a trades run's CPU.

// chunkReader is a reader that lends its buffered bytes instead of
// copying them: NextChunk returns the next bytes of the stream, valid
// until the next call, and io.EOF (or another error) after the last.
type chunkReader interface {
	io.Reader
	NextChunk() ([]byte, error)
}

// errLineTooLong: a line longer than the reader's buffer.
var errLineTooLong = errors.New("line too long")

// lineReader returns the next line of r with its '\n' (the last one may
// have none), valid until the next call, and io.EOF with the last. A line
// over the buffer is errLineTooLong; one past limit may be cut there.
func lineReader(r io.Reader, limit int) func() ([]byte, error) {
	if cr, ok := r.(chunkReader); ok {
		c := &chunkLines{src: cr, limit: limit}
		return c.next
	}
	br := bufio.NewReaderSize(r, 1<<20)
	return func() ([]byte, error) {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return b, errLineTooLong
		}
		return b, err
	}
}

// chunkLines splits the chunks of src into lines in place; only a line
// that straddles two chunks is copied, into carry.
type chunkLines struct {
	src   chunkReader
	limit int
	rest  []byte // of the current chunk, after the lines returned
	carry []byte
}

func (c *chunkLines) next() ([]byte, error) {
	c.carry = c.carry[:0]
	for {
		if i := bytes.IndexByte(c.rest, '\n'); i >= 0 {
			line := c.rest[:i+1]
			c.rest = c.rest[i+1:]
			if len(c.carry) == 0 {
				return line, nil
			}
			c.carry = append(c.carry, line...)
			return c.carry, nil
		}
		c.carry = append(c.carry, c.rest...)
		c.rest = nil
		if len(c.carry) > c.limit {
			return c.carry, nil // the caller rejects it
		}
		chunk, err := c.src.NextChunk()
		if err != nil {
			return c.carry, err
		}
		c.rest = chunk
	}
}
