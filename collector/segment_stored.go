package collector

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// SkipStored marks the archive segments whose candles the lake already holds
// completely as SegmentStored, so a re-run with --start downloads only what
// is missing. Without --start the task already begins after the newest
// stored candle and nothing is checked. "Complete" means every slot of the
// interval grid in the segment is stored: a segment holding one of Binance's
// own gaps is never complete and is downloaded again, which is only
// redundant (the merge keeps files identical), never lossy.
func SkipStored(ctx context.Context, sink storage.Sink, t Task, segs []Segment) error {
	if t.From != FromStart || t.Data() != transform.Klines {
		return nil
	}
	byPeriod := map[string][]int{}
	for i, s := range segs {
		if s.File != nil {
			p := t.Interval.Period(s.Start)
			byPeriod[p] = append(byPeriod[p], i)
		}
	}
	for period, idx := range byPeriod {
		key := t.Series().Key(period)
		fm, err := sink.Meta(ctx, key)
		if storage.IsNotExist(err) || (err == nil && fm.Rows == 0) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check what %s holds: %w", key, err)
		}
		ps, pe := t.Interval.PeriodBounds(segs[idx[0]].Start)
		if fm.Rows == t.Interval.Count(ps, pe) { // the footer is enough
			for _, i := range idx {
				segs[i].Kind = SegmentStored
			}
			continue
		}
		if err := markStoredRanges(ctx, sink, key, t.Interval, segs, idx); err != nil {
			return err
		}
	}
	return nil
}

// markStoredRanges reads a partly filled period's open times and marks the
// segments it covers completely.
func markStoredRanges(ctx context.Context, sink storage.Sink, key storage.Key, iv transform.Interval, segs []Segment, idx []int) error {
	rec, _, err := sink.Read(ctx, key)
	if err != nil {
		return fmt.Errorf("check what %s holds: %w", key, err)
	}
	defer rec.Release()
	col, ok := rec.Column(0).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("check what %s holds: first column is %s, want open_time timestamps", key, rec.Column(0).DataType())
	}
	for _, i := range idx {
		n := int64(0)
		for j := 0; j < col.Len(); j++ {
			if t := int64(col.Value(j)); t >= segs[i].Start && t < segs[i].End {
				n++
			}
		}
		if n > 0 && n == iv.Count(segs[i].Start, segs[i].End) {
			segs[i].Kind = SegmentStored
		}
	}
	return nil
}
