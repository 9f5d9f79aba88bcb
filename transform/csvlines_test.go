package transform

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// chunks is a chunkReader lending data in pieces of random sizes (empty
// ones included), as collector's read-ahead lends its buffers; it
// scribbles over a chunk once the next is asked for, so a line kept past
// that shows.
type chunks struct {
	data []byte
	rng  *rand.Rand
	max  int
	buf  []byte
	err  error // after the data: io.EOF or another error
}

func (c *chunks) Read(p []byte) (int, error) { panic("the CSV reader copied instead of borrowing") }

func (c *chunks) NextChunk() ([]byte, error) {
	for i := range c.buf {
		c.buf[i] = '#'
	}
	if len(c.data) == 0 {
		return nil, c.err
	}
	n := min(c.rng.IntN(c.max+1), len(c.data))
	c.buf = append(c.buf[:0], c.data[:n]...)
	c.data = c.data[n:]
	return c.buf, nil
}

// TestReadTradesCSVFromChunks: lines read from lent chunks, whatever their
// sizes, give what a plain reader gives: rows, rejections, line numbers of
// errors (lines across chunks, CRLF split between chunks, a last line
// without a break, blank lines, an overlong line, a read error).
func TestReadTradesCSVFromChunks(t *testing.T) {
	var inputs []string
	for _, f := range []string{"spot-trades-2025-us.csv", "spot-trades-2020-ms.csv", "usdm-trades-2024-header.csv"} {
		inputs = append(inputs, fixture(t, f))
	}
	inputs = append(inputs,
		benchTradesCSVString(2000),
		strings.ReplaceAll(benchTradesCSVString(300), "\n", "\r\n"),
		strings.TrimSuffix(benchTradesCSVString(50), "\n"),
		"\n\n"+benchTradesCSVString(20)+"\n\nbad,row\n"+benchTradesCSVString(3),
		benchTradesCSVString(5)+strings.Repeat("7", tradeLineLimit+10)+"\n"+benchTradesCSVString(5),
	)
	read := func(r io.Reader, market string) string {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		b, _ := NewTradesBuilder(mem, market)
		defer b.Release()
		var out strings.Builder
		err := ReadTradesCSV(r, b, 700, func(rec arrow.RecordBatch) error {
			fmt.Fprintln(&out, Trades(rec))
			return nil
		})
		fmt.Fprintln(&out, err, b.Rejected.Total(), b.Rejected.Examples())
		return out.String()
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i, in := range inputs {
		market := "spot"
		if strings.HasPrefix(in, "id,") {
			market = "usdm"
		}
		want := read(strings.NewReader(in), market)
		for _, max := range []int{1, 7, 100, 4096, 1 << 20} {
			if got := read(&chunks{data: []byte(in), rng: rng, max: max, err: io.EOF}, market); got != want {
				t.Fatalf("input %d, chunks up to %d bytes:\n%.2000s\nwant\n%.2000s", i, max, got, want)
			}
		}
	}
	// A read error after some lines ends the file with it.
	boom := errors.New("disk gone")
	got := read(&chunks{data: []byte(benchTradesCSVString(10)), rng: rng, max: 50, err: boom}, "spot")
	if !strings.Contains(got, "disk gone") {
		t.Errorf("read error not reported: %s", got)
	}
}

func benchTradesCSVString(n int) string { return string(benchTradesCSV(n)) }
