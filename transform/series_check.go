package transform

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// SeriesChecker checks the stored files of one series in order, oldest
// first, batch by batch, keeping only what continuity needs (the previous
// row), so a series of any size is checked in flat memory and a gap across
// a file boundary is found too. Each dataset declares its own (Dataset.
// Checker); verify runs it without knowing the dataset's shape.
type SeriesChecker interface {
	// StartFile begins the next file of the series.
	StartFile(f FileInfo)
	// Check returns the problems of the next batch of the file's rows.
	Check(rec arrow.RecordBatch) []Problem
	// EndFile returns the problems held back until the file ended: a
	// summary of those beyond a cap, a comparison of the whole file.
	EndFile() []Problem
	// Close releases what the checker holds open.
	Close()
}

// FileInfo names the file a checker is about to read.
type FileInfo struct {
	Period string // the file's period: YYYY-MM-DD, YYYY-MM or YYYY
	Last   bool   // the newest file of the series
}

// CheckScope is what a checker is told about its series.
type CheckScope struct {
	Market   string
	Interval Interval // kline-shaped datasets only
	// From and To bound continuity checks (ms, [From, To)); zero means
	// unbounded. Row problems (duplicates, order, values) are reported
	// wherever they are.
	From, To int64
}

func (s CheckScope) overlaps(lo, hi int64) bool {
	return (s.From == 0 || hi >= s.From) && (s.To == 0 || lo < s.To)
}

// CrossCheck compares a dataset with another one that describes the same
// market and symbol (SPEC section 8): 1m klines against trades, agg_trades
// against trades. It runs where both are stored.
type CrossCheck struct {
	With     *Dataset // the other dataset
	Interval string   // its interval, when it is kline-shaped
	// New returns a checker of the dataset's files that reads the other
	// series through ref as it goes.
	New func(ref Reference, s CheckScope) SeriesChecker
}

// Reference is the other series of a cross-check, as verify opens it.
type Reference interface {
	// Open streams the file of period; nil, nil when there is none. The
	// caller releases the reader.
	Open(period string) (array.RecordReader, error)
	// Periods lists the stored files' periods, oldest first.
	Periods() []string
	// Extent is what the footers of the oldest and newest file say: the
	// smallest and largest key and time (ms); ok is false when they
	// cannot be read.
	Extent() (e Extent, ok bool)
	// File names the file of period for messages.
	File(period string) string
}

// Extent bounds a stored series.
type Extent struct {
	FirstKey, LastKey   int64
	FirstTime, LastTime int64 // ms
}

// perFileCap is how many problems of one kind a checker lists per file;
// the others are counted in one summary problem (a reversed or corrupt
// day of trades must not print millions of lines).
const perFileCap = 20

// capped lists problems up to perFileCap per kind and counts the rest.
type capped struct {
	n    map[string]int
	over map[string]int
}

func (c *capped) reset() { c.n, c.over = map[string]int{}, map[string]int{} }

func (c *capped) add(out []Problem, p Problem) []Problem {
	if c.n == nil {
		c.reset()
	}
	if c.n[p.Kind] >= perFileCap {
		c.over[p.Kind]++
		return out
	}
	c.n[p.Kind]++
	return append(out, p)
}

// summary returns one problem per kind over the cap and resets.
func (c *capped) summary() []Problem {
	var out []Problem
	for _, kind := range slices.Sorted(maps.Keys(c.over)) {
		out = append(out, Problem{Kind: kind, Detail: fmt.Sprintf("%d more %s problems in this file, not listed", c.over[kind], kind)})
	}
	c.reset()
	return out
}

// micros formats a µs time for problem details, to the microsecond.
func micros(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z")
}

// dayStart parses a daily file's period (YYYY-MM-DD) to its first ms.
func dayStart(period string) (int64, bool) {
	t, err := time.Parse(time.DateOnly, period)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}
