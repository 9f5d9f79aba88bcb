package transform

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Problem kinds reported by Check, beside the row error types of Validate.
const (
	ProblemUnsorted  = "unsorted"
	ProblemDuplicate = "duplicate"
	ProblemGap       = "gap"
)

// Problem is one defect found in stored rows.
type Problem struct {
	Kind     string // ProblemUnsorted, ProblemDuplicate, ProblemGap, a Validate type, or a kind of another dataset's checker
	OpenTime int64  // ms: the candle concerned (for gaps: the first missing open time); the row's time in other datasets
	Until    int64  // gaps only: the open time of the next present candle (other datasets: of the row after the gap)
	// IDs are the ids concerned in id-keyed datasets: [first, last] of a
	// missing range, or the one id of a row.
	IDs    []int64
	Detail string
}

func (p Problem) String() string {
	at := time.UnixMilli(p.OpenTime).UTC().Format(time.RFC3339)
	if p.Kind == ProblemGap {
		return fmt.Sprintf("gap: no candles from %s to %s (%s)", at, time.UnixMilli(p.Until).UTC().Format(time.RFC3339), p.Detail)
	}
	return fmt.Sprintf("%s at %s: %s", p.Kind, at, p.Detail)
}

// Checker checks a series' batches in order (oldest file first): rows
// sorted and unique by open_time, every row valid, and no gap against the
// interval grid between consecutive candles, across files too.
type Checker struct {
	iv   Interval
	last int64
	seen bool
	// From and To bound gap checks (ms, [From, To)); zero means unbounded.
	From, To int64
}

// NewChecker returns a Checker for interval iv.
func NewChecker(iv Interval) *Checker { return &Checker{iv: iv} }

var _ SeriesChecker = (*Checker)(nil)

// newKlinesChecker is the klines descriptor's checker.
func newKlinesChecker(s CheckScope) SeriesChecker {
	c := NewChecker(s.Interval)
	c.From, c.To = s.From, s.To
	return c
}

// StartFile, EndFile and Close do nothing: a candle problem is a row's,
// and the interval grid goes on across files.
func (c *Checker) StartFile(FileInfo) {}
func (c *Checker) EndFile() []Problem { return nil }
func (c *Checker) Close()             {}

// Check returns the problems of one batch, continuing from the previous one.
func (c *Checker) Check(rec arrow.RecordBatch) []Problem {
	var out []Problem
	if !Conforms(rec.Schema()) {
		return []Problem{{Kind: "schema", Detail: rec.Schema().String()}}
	}
	ts := rec.Column(idxOpenTime).(*array.Timestamp)
	for i := 0; i < int(rec.NumRows()); i++ {
		k := rowAt(rec, i)
		open := int64(ts.Value(i))
		if err := Validate(c.iv, k); err != nil {
			out = append(out, Problem{Kind: err.Type, OpenTime: open, Detail: err.Detail})
		}
		if c.seen {
			switch {
			case open == c.last:
				out = append(out, Problem{Kind: ProblemDuplicate, OpenTime: open, Detail: "open_time stored twice"})
				continue
			case open < c.last:
				out = append(out, Problem{Kind: ProblemUnsorted, OpenTime: open,
					Detail: "follows " + time.UnixMilli(c.last).UTC().Format(time.RFC3339)})
				continue
			}
			if next := c.iv.Next(c.last); open > next && c.inRange(next) {
				out = append(out, Problem{Kind: ProblemGap, OpenTime: next, Until: open, Detail: c.missing(next, open)})
			}
		}
		c.last, c.seen = open, true
	}
	return out
}

func (c *Checker) inRange(t int64) bool {
	return (c.From == 0 || t >= c.From) && (c.To == 0 || t < c.To)
}

func (c *Checker) missing(from, to int64) string {
	n := 0
	for t := from; t < to && n < 1_000_000; t = c.iv.Next(t) {
		n++
	}
	return fmt.Sprintf("%d missing %s candles", n, c.iv)
}
