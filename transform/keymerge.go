package transform

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// MergeByKey is Merge for datasets keyed by an integer id (trades,
// agg_trades): any schema whose first column is the key (int64 or a
// timestamp) and whose columns are all 8 bytes wide or boolean, without
// nulls. The result is sorted by key with one row per key; where both
// inputs have a key the incoming row wins (Replaced counts those whose
// values differ); within one input the last row of a key wins. Neither
// input is modified or released; the caller releases the result, which is
// an input itself (retained) when there is nothing to merge.
func MergeByKey(mem memory.Allocator, existing, incoming arrow.RecordBatch) (arrow.RecordBatch, MergeStats, error) {
	var st MergeStats
	var sc *arrow.Schema
	for _, rec := range [...]arrow.RecordBatch{existing, incoming} {
		if rec == nil {
			continue
		}
		if sc != nil && !rec.Schema().Equal(sc) {
			return nil, st, fmt.Errorf("merge: schema mismatch: %s and %s", sc, rec.Schema())
		}
		sc = rec.Schema()
		if err := checkKeyedRecord(rec); err != nil {
			return nil, st, fmt.Errorf("merge: %w", err)
		}
	}
	if sc == nil {
		return nil, st, fmt.Errorf("merge: no input")
	}
	var ex, in keySide
	if existing != nil {
		ex = newKeySide(existing)
	}
	if incoming != nil {
		in = newKeySide(incoming)
	}
	st.Existing, st.Incoming = ex.n, in.n
	if ex.len() == 0 && in.order == nil && incoming != nil {
		st.Added, st.Rows = in.n, in.n
		incoming.Retain()
		return incoming, st, nil
	}
	if in.len() == 0 && ex.order == nil && existing != nil {
		st.Rows = ex.n
		existing.Retain()
		return existing, st, nil
	}

	// pick lists the result's rows: r >= 0 is row r of existing, ^r row r
	// of incoming.
	pick := make([]int32, 0, ex.len()+in.len())
	i, j := 0, 0
	for i < ex.len() || j < in.len() {
		switch {
		case j == in.len() || i < ex.len() && ex.key(i) < in.key(j):
			pick = append(pick, int32(ex.row(i)))
			i++
		case i == ex.len() || in.key(j) < ex.key(i):
			pick = append(pick, ^int32(in.row(j)))
			st.Added++
			j++
		default: // the same key in both: incoming wins
			if !sameKeyedRow(&ex, ex.row(i), &in, in.row(j)) {
				st.Replaced++
			}
			pick = append(pick, ^int32(in.row(j)))
			i++
			j++
		}
	}
	out := newFlatBatch(mem, sc)
	out.grow(len(pick))
	out.rows = len(pick)
	for c := range sc.Fields() {
		if dst := out.words[c]; dst != nil {
			exv, inv := ex.words[c], in.words[c]
			for k, p := range pick {
				if p >= 0 {
					dst[k] = exv[p]
				} else {
					dst[k] = inv[^p]
				}
			}
			continue
		}
		dst := out.bits[c]
		for k, p := range pick {
			if p >= 0 {
				setBit(dst, k, ex.bit(c, int(p)))
			} else {
				setBit(dst, k, in.bit(c, int(^p)))
			}
		}
	}
	st.Rows = len(pick)
	return out.record(), st, nil
}

// checkKeyedRecord checks what MergeByKey needs of a batch.
func checkKeyedRecord(rec arrow.RecordBatch) error {
	sc := rec.Schema()
	if sc.NumFields() == 0 {
		return fmt.Errorf("no columns")
	}
	if id := sc.Field(0).Type.ID(); id != arrow.INT64 && id != arrow.TIMESTAMP {
		return fmt.Errorf("key column %s is %s, not int64", sc.Field(0).Name, sc.Field(0).Type)
	}
	if err := checkFlatSchema(sc); err != nil {
		return err
	}
	for c, col := range rec.Columns() {
		if col.NullN() > 0 {
			return fmt.Errorf("column %s has nulls", sc.Field(c).Name)
		}
	}
	return nil
}

// keySide is one input of a merge by key: its 8-byte columns as raw
// values, its boolean columns as bitmaps with their bit offset, and the
// order of its rows by key.
type keySide struct {
	n       int
	words   [][]uint64 // per column, nil for booleans
	bits    [][]byte   // per column, nil for 8-byte columns
	offsets []int      // per boolean column: the array's offset in bits
	order   []int32    // sorted unique rows; nil when the rows already are
}

func newKeySide(rec arrow.RecordBatch) keySide {
	nc := int(rec.NumCols())
	s := keySide{n: int(rec.NumRows()), words: make([][]uint64, nc), bits: make([][]byte, nc), offsets: make([]int, nc)}
	if s.n == 0 {
		return s
	}
	for c, col := range rec.Columns() {
		d := col.Data()
		if isBoolType(d.DataType()) {
			s.bits[c], s.offsets[c] = d.Buffers()[1].Bytes(), d.Offset()
			continue
		}
		v := arrow.Uint64Traits.CastFromBytes(d.Buffers()[1].Bytes())
		s.words[c] = v[d.Offset() : d.Offset()+d.Len()]
	}
	keys := s.words[0]
	for i := 1; i < len(keys); i++ {
		if int64(keys[i]) <= int64(keys[i-1]) {
			s.order = sortedUniqueKeys(keys)
			break
		}
	}
	return s
}

// sortedUniqueKeys orders rows by key, keeping the last row of each key.
func sortedUniqueKeys(keys []uint64) []int32 {
	order := make([]int32, len(keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(int64(keys[a]), int64(keys[b])) })
	out := order[:0]
	for k, r := range order {
		if k+1 < len(order) && keys[order[k+1]] == keys[r] {
			continue // a later row has the same key
		}
		out = append(out, r)
	}
	return out
}

func (s *keySide) len() int {
	if s.order != nil {
		return len(s.order)
	}
	return s.n
}

// row is the batch row at sorted position i.
func (s *keySide) row(i int) int {
	if s.order != nil {
		return int(s.order[i])
	}
	return i
}

func (s *keySide) key(i int) int64 { return int64(s.words[0][s.row(i)]) }

func (s *keySide) bit(c, row int) bool { return bitutil.BitIsSet(s.bits[c], s.offsets[c]+row) }

// sameKeyedRow compares two rows value for value (floats bit for bit).
func sameKeyedRow(a *keySide, i int, b *keySide, j int) bool {
	for c := range a.words {
		if a.words[c] != nil {
			if a.words[c][i] != b.words[c][j] {
				return false
			}
		} else if a.bit(c, i) != b.bit(c, j) {
			return false
		}
	}
	return true
}

// NormalizeByKey sorts and de-duplicates one batch by its key (last row
// wins).
func NormalizeByKey(mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	out, _, err := MergeByKey(mem, nil, rec)
	return out, err
}
