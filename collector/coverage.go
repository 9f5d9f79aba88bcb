package collector

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// Range is [Start, End) of a dataset's key (klines: open times, ms).
type Range struct{ Start, End int64 }

// Coverage is what a kline series holds between its oldest and newest
// stored candle, as far as asked: the holes (grid slots neither stored
// nor confirmed empty at Binance) and Binance's confirmed gaps.
type Coverage struct {
	Stored      bool  // the series has at least one candle
	First, Last int64 // open times of its oldest and newest stored candle
	// Holes are the missing candles of the span, merged, oldest first.
	Holes []Range
	// Gaps are the confirmed gaps at Binance recorded in the span's files.
	Gaps []storage.SourceGap
}

// KlineCoverage reads the coverage of series s (interval iv) over
// [from, to) (0: unbounded), clipped to its stored extent. It reads the
// footers of the files in the span; only a file whose footer cannot tell
// where its missing candles are (rows fewer than the grid between its
// first and last candle) is read, and then as one batch.
func KlineCoverage(ctx context.Context, sink storage.Sink, s storage.Series, iv transform.Interval, from, to int64) (Coverage, error) {
	var cv Coverage
	src, err := newSourceIndex(ctx, sink, s) // lists the files, reads the oldest and newest footers
	if err != nil || len(src.keys) == 0 {
		return cv, err
	}
	cv.First, cv.Last = src.first, src.last // open times: klines' key is their time
	cv.Stored = true
	lo, hi := cv.First, iv.Next(cv.Last)
	if from > lo {
		lo = iv.Ceil(time.UnixMilli(from))
	}
	if to > 0 && to < hi {
		hi = to
	}
	byPeriod := make(map[string]storage.Key, len(src.keys))
	for _, k := range src.keys {
		byPeriod[k.Period] = k
	}
	for at := lo; at < hi; {
		ps, pe := iv.PeriodBounds(at)
		clip := Range{at, min(pe, hi)}
		at = clip.End
		k, ok := byPeriod[iv.Period(ps)]
		if !ok {
			cv.Holes = append(cv.Holes, clip)
			continue
		}
		fm, err := src.meta(ctx, k)
		if err != nil {
			return cv, err
		}
		gaps, err := storage.ParseSourceGaps(fm.Meta)
		if err != nil {
			return cv, fmt.Errorf("%s: %w", k.Path(), err)
		}
		for _, g := range gaps {
			if g.From < clip.End && g.To > clip.Start {
				cv.Gaps = append(cv.Gaps, g)
			}
		}
		holes, err := fileHoles(ctx, sink, fm, iv, clip, gaps)
		if err != nil {
			return cv, err
		}
		cv.Holes = append(cv.Holes, holes...)
	}
	cv.Holes = joinRanges(cv.Holes)
	return cv, nil
}

// fileHoles returns the candles of clip that the file fm neither holds nor
// records as confirmed gaps.
func fileHoles(ctx context.Context, sink storage.Sink, fm storage.FileMeta, iv transform.Interval, clip Range, gaps []storage.SourceGap) ([]Range, error) {
	if fm.Rows == 0 {
		return subtractGaps([]Range{clip}, gaps), nil
	}
	held := Range{fm.MinKey, iv.Next(fm.MaxKey)}
	if fm.Rows == iv.Count(held.Start, held.End)-gapCount(iv, gaps, held) {
		// Contiguous from the first candle to the last but for the gaps.
		return subtractGaps(subtract(clip, held), gaps), nil
	}
	rec, _, err := sink.Read(ctx, fm.Key)
	if err != nil {
		return nil, fmt.Errorf("find the missing candles of %s: %w", fm.Key.Path(), err)
	}
	defer rec.Release()
	col, ok := rec.Column(0).(*array.Timestamp)
	if !ok {
		return nil, fmt.Errorf("find the missing candles of %s: first column is %s, want open_time", fm.Key.Path(), rec.Column(0).DataType())
	}
	var holes []Range
	cursor := clip.Start
	for i := 0; i < col.Len(); i++ {
		t := int64(col.Value(i))
		if t < cursor {
			continue
		}
		if t >= clip.End {
			break
		}
		if t > cursor {
			holes = append(holes, Range{cursor, t})
		}
		cursor = iv.Next(t)
	}
	if cursor < clip.End {
		holes = append(holes, Range{cursor, clip.End})
	}
	return subtractGaps(holes, gaps), nil
}

// gapCount is the number of grid candles of r inside gaps.
func gapCount(iv transform.Interval, gaps []storage.SourceGap, r Range) int64 {
	n := int64(0)
	for _, g := range gaps {
		if s, e := max(g.From, r.Start), min(g.To, r.End); s < e {
			n += iv.Count(s, e)
		}
	}
	return n
}

// subtract returns r without the part inside cut.
func subtract(r, cut Range) []Range {
	if cut.End <= r.Start || cut.Start >= r.End {
		return []Range{r}
	}
	var out []Range
	if cut.Start > r.Start {
		out = append(out, Range{r.Start, cut.Start})
	}
	if cut.End < r.End {
		out = append(out, Range{cut.End, r.End})
	}
	return out
}

// subtractGaps removes the confirmed gaps from ranges.
func subtractGaps(ranges []Range, gaps []storage.SourceGap) []Range {
	for _, g := range gaps {
		var next []Range
		for _, r := range ranges {
			next = append(next, subtract(r, Range{g.From, g.To})...)
		}
		ranges = next
	}
	return ranges
}

// joinRanges merges adjacent and overlapping ranges (sorted by Start).
func joinRanges(rs []Range) []Range {
	var out []Range
	for _, r := range rs {
		if r.End <= r.Start {
			continue
		}
		if n := len(out); n > 0 && r.Start <= out[n-1].End {
			out[n-1].End = max(out[n-1].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}
