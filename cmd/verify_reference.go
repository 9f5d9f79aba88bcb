package cmd

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// storedReference is the other series of a cross-check, read from the lake
// as the checker asks.
type storedReference struct {
	ctx    context.Context
	store  *storage.Store
	d      *transform.Dataset
	series storage.Series
	keys   []storage.Key
}

var _ transform.Reference = (*storedReference)(nil)

func (r *storedReference) Open(period string) (array.RecordReader, error) {
	rr, _, err := r.store.ReadStream(r.ctx, r.series.Key(period), r.d.Schema(r.series.Market), 0)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, nil
	}
	return rr, err
}

func (r *storedReference) Periods() []string {
	out := make([]string, len(r.keys))
	for i, k := range r.keys {
		out[i] = k.Period
	}
	return out
}

func (r *storedReference) Extent() (transform.Extent, bool) {
	if len(r.keys) == 0 {
		return transform.Extent{}, false
	}
	first, err := r.store.Meta(r.ctx, r.keys[0])
	if err != nil || !first.HasStats || first.Rows == 0 {
		return transform.Extent{}, false
	}
	last, err := r.store.Meta(r.ctx, r.keys[len(r.keys)-1])
	if err != nil || !last.HasStats || last.Rows == 0 {
		return transform.Extent{}, false
	}
	return transform.Extent{FirstKey: first.MinKey, LastKey: last.MaxKey,
		FirstTime: r.d.Millis(first.MinTime), LastTime: r.d.Millis(last.MaxTime)}, true
}

func (r *storedReference) File(period string) string { return r.series.Key(period).Path() }
