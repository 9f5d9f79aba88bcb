package collector

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// takeRecord hands over the period's candles as one batch: the archive
// files gathered for it plus the REST rows in the builder. Order does not
// matter; the merge sorts. The caller releases the batch.
func (w *taskWriter) takeRecord() (arrow.RecordBatch, error) {
	recs := w.pending
	w.pending = nil
	if w.b.Len() > 0 {
		recs = append(recs, w.b.NewRecord())
	}
	if len(recs) == 1 {
		return recs[0], nil
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	cols := make([]arrow.Array, 0, len(transform.Schema.Fields()))
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	parts := make([]arrow.Array, len(recs))
	for c := range transform.Schema.Fields() {
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		col, err := array.Concatenate(parts, w.r.Mem)
		if err != nil {
			release()
			return nil, fmt.Errorf("join %d batches of period %s: %w", len(recs), w.period, err)
		}
		cols = append(cols, col)
	}
	defer release() // the batch holds its own references
	return array.NewRecordBatch(transform.Schema, cols, rows), nil
}
