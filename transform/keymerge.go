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
	out, st := mergeKeyed(mem, sc, existing, incoming)
	return out, st, nil
}

// mergeKeyed is the merge behind Merge and MergeByKey: existing and
// incoming (either may be nil) have schema sc, already checked, keyed by
// their first column; the result has schema sc.
func mergeKeyed(mem memory.Allocator, sc *arrow.Schema, existing, incoming arrow.RecordBatch) (arrow.RecordBatch, MergeStats) {
	var st MergeStats
	ex, in := sideOf(existing), sideOf(incoming)
	st.Existing, st.Incoming = ex.n, in.n
	if ex.len() == 0 && in.order == nil && incoming != nil {
		st.Added, st.Rows = in.n, in.n
		incoming.Retain()
		return incoming, st
	}
	if in.len() == 0 && ex.order == nil && existing != nil {
		st.Rows = ex.n
		existing.Retain()
		return existing, st
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
			exv, inv := ex.words(c), in.words(c)
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
	return out.record(), st
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

// keySide is one input of a merge by key: a view of each of its columns
// and the order of its rows by key.
type keySide struct {
	n     int
	cols  []sideColumn // nil for a missing input
	order []int32      // sorted unique rows; nil when the rows already are
}

// sideColumn is one column of a keySide: an 8-byte column as raw values,
// a boolean column as its bitmap and the array's offset in bits.
type sideColumn struct {
	words  []uint64 // nil for a boolean column
	bits   []byte   // nil for an 8-byte column
	offset int
}

func newKeySide(rec arrow.RecordBatch) keySide {
	s := keySide{n: int(rec.NumRows()), cols: make([]sideColumn, rec.NumCols())}
	if s.n == 0 {
		return s
	}
	for c, col := range rec.Columns() {
		d := col.Data()
		if isBoolType(d.DataType()) {
			s.cols[c].bits, s.cols[c].offset = d.Buffers()[1].Bytes(), d.Offset()
			continue
		}
		v := arrow.Uint64Traits.CastFromBytes(d.Buffers()[1].Bytes())
		s.cols[c].words = v[d.Offset() : d.Offset()+d.Len()]
	}
	if keys := s.cols[0].words; !increasing(keys) {
		s.order = sortedUniqueKeys(keys)
	}
	return s
}

// sideOf is newKeySide(rec), or for a missing input a side without rows
// or columns.
func sideOf(rec arrow.RecordBatch) keySide {
	if rec == nil {
		return keySide{}
	}
	return newKeySide(rec)
}

// increasing tells whether keys are sorted and unique. It keeps the last
// key in a register rather than loading it again: the two-load loop ran at
// half speed after unrelated code around it changed.
func increasing(keys []uint64) bool {
	if len(keys) == 0 {
		return true
	}
	prev := int64(keys[0])
	for _, k := range keys[1:] {
		if int64(k) <= prev {
			return false
		}
		prev = int64(k)
	}
	return true
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

func (s *keySide) key(i int) int64 { return int64(s.cols[0].words[s.row(i)]) }

// words is column c's values, nil for a boolean column or a missing input.
func (s *keySide) words(c int) []uint64 {
	if s.cols == nil {
		return nil
	}
	return s.cols[c].words
}

func (s *keySide) bit(c, row int) bool {
	col := &s.cols[c]
	return bitutil.BitIsSet(col.bits, col.offset+row)
}

// sameKeyedRow compares two rows value for value (floats bit for bit).
func sameKeyedRow(a *keySide, i int, b *keySide, j int) bool {
	for c := range a.cols {
		if av := a.cols[c].words; av != nil {
			if av[i] != b.cols[c].words[j] {
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
