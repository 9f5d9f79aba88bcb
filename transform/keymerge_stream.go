package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// MergeSortedByKey is MergeByKey for inputs too big to hold whole, such as
// a stored day of trades read row group by row group: it merges two
// streams of batches, each sorted by key with unique keys (what MergeByKey
// and the trade builders produce), and calls emit with a batch of every
// batchRows output rows (DefaultBatchRows if <= 0) and the rest at the
// end; where nothing stored is left to interleave (a new file, or the
// rows after the stored ones) the incoming batches go to emit as they
// are, uncopied. Where both have a key the incoming row wins. emit does not own the
// batch: it is released when emit returns. Either reader may be nil; an
// input out of key order is an error (normalise it with MergeByKey first).
func MergeSortedByKey(mem memory.Allocator, existing, incoming array.RecordReader, batchRows int,
	emit func(arrow.RecordBatch) error) (MergeStats, error) {
	var st MergeStats
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	var sc *arrow.Schema
	for _, rr := range [...]array.RecordReader{existing, incoming} {
		if rr == nil {
			continue
		}
		if sc != nil && !rr.Schema().Equal(sc) {
			return st, fmt.Errorf("merge: schema mismatch: %s and %s", sc, rr.Schema())
		}
		sc = rr.Schema()
	}
	if sc == nil {
		return st, fmt.Errorf("merge: no input")
	}
	ex, in := &keyCursor{rr: existing}, &keyCursor{rr: incoming}
	defer ex.release()
	defer in.release()
	for _, c := range [...]*keyCursor{ex, in} {
		if err := c.load(); err != nil {
			return st, err
		}
	}
	out := newFlatBatch(mem, sc)
	defer out.release()
	flush := func() error {
		rec := out.record()
		defer rec.Release()
		return emit(rec)
	}
	for ex.ok() || in.ok() {
		if !ex.ok() && out.rows == 0 {
			// Nothing stored is left to interleave (always so for a new
			// file): the incoming batches pass through as they are, no
			// row is copied.
			n, err := in.passRest(emit)
			st.Added += n
			st.Rows += n
			if err != nil {
				return st, err
			}
			continue
		}
		var from *keyCursor
		switch {
		case !in.ok() || ex.ok() && ex.key() < in.key():
			from = ex
		case !ex.ok() || in.key() < ex.key():
			from = in
			st.Added++
		default: // the same key in both: incoming wins
			if !sameKeyedRow(&ex.side, ex.i, &in.side, in.i) {
				st.Replaced++
			}
			if err := ex.advance(); err != nil {
				return st, err
			}
			from = in
		}
		k := out.next()
		for c := range out.words {
			if dst := out.words[c]; dst != nil {
				dst[k] = from.side.cols[c].words[from.i]
			} else {
				setBit(out.bits[c], k, from.side.bit(c, from.i))
			}
		}
		if err := from.advance(); err != nil {
			return st, err
		}
		st.Rows++
		if out.rows >= batchRows {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	st.Existing, st.Incoming = ex.rows, in.rows
	if out.rows > 0 {
		return st, flush()
	}
	return st, nil
}

// keyCursor walks the rows of a sorted stream of batches.
type keyCursor struct {
	rr      array.RecordReader
	rec     arrow.RecordBatch // retained while the cursor is in it
	side    keySide
	i       int
	rows    int   // rows read so far
	last    int64 // key of the previous row
	started bool
}

func (c *keyCursor) ok() bool   { return c.rec != nil }
func (c *keyCursor) key() int64 { return int64(c.side.cols[0].words[c.i]) }
func (c *keyCursor) release()   { c.drop() }
func (c *keyCursor) drop() {
	if c.rec != nil {
		c.rec.Release()
		c.rec = nil
	}
}

// load moves to the first row of the next non-empty batch, or to the end.
func (c *keyCursor) load() error {
	c.drop()
	if c.rr == nil {
		return nil
	}
	for c.rr.Next() {
		rec := c.rr.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		if err := checkKeyedRecord(rec); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		rec.Retain()
		c.rec, c.side, c.i = rec, newKeySide(rec), 0
		c.rows += int(rec.NumRows())
		if c.side.order != nil || c.started && c.key() <= c.last {
			return fmt.Errorf("merge: input not sorted by unique %s near key %d", rec.Schema().Field(0).Name, c.last)
		}
		return nil
	}
	return c.rr.Err()
}

// passRest hands the cursor's remaining rows to emit as they are: the
// current batch from its row on (a zero-copy slice), then every batch
// after it, each checked for order as it loads.
func (c *keyCursor) passRest(emit func(arrow.RecordBatch) error) (int, error) {
	n := 0
	for c.ok() {
		part := c.rec.NewSlice(int64(c.i), int64(c.side.n))
		err := emit(part)
		part.Release()
		n += c.side.n - c.i
		if err != nil {
			return n, err
		}
		c.i = c.side.n - 1
		if err := c.advance(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// advance moves to the next row.
func (c *keyCursor) advance() error {
	c.last, c.started = c.key(), true
	c.i++
	if c.i < c.side.n {
		return nil
	}
	return c.load()
}
