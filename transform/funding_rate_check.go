package transform

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Problem kinds of the funding_rate checker.
const (
	// ProblemFundingGap: consecutive settlements further apart than the
	// funding interval: settlements are missing.
	ProblemFundingGap = "funding_gap"
	// ProblemFundingTime: a funding_time not on a whole second, or a
	// calc_time not within the second of its funding_time.
	ProblemFundingTime = "funding_time"
)

// defaultFundingHours is the schedule assumed before any row of a series
// names its interval (REST rows carry none): Binance's standard 8 hours.
const defaultFundingHours = 8

// fundingChecker checks a funding_rate series across its year files:
// rows sorted and unique by funding_time, valid values, and the funding
// schedule. A row's funding_interval_hours is the length of the period it
// settles, so a settlement further than that after the previous one means
// settlements are missing between them; rows without the column (REST)
// are held to the last interval seen (8 h before any). A shorter step is
// not a problem: Binance shortens the interval of volatile symbols.
type fundingChecker struct {
	scope CheckScope
	last  int64 // previous funding_time (ms)
	hours int64 // the interval in force (hours)
	seen  bool
	cap   capped
}

func newFundingChecker(s CheckScope) SeriesChecker {
	return &fundingChecker{scope: s, hours: defaultFundingHours}
}

func (c *fundingChecker) StartFile(FileInfo) {}
func (c *fundingChecker) EndFile() []Problem { return c.cap.summary() }
func (c *fundingChecker) Close()             {}

func (c *fundingChecker) Check(rec arrow.RecordBatch) []Problem {
	if p := schemaProblem(FundingRateSchema, rec); p != nil {
		return p
	}
	var out []Problem
	for _, r := range FundingRates(rec) {
		at := r.FundingTime
		if e := fundingRateError(r); e != nil {
			out = c.cap.add(out, Problem{Kind: e.Type, OpenTime: at, Detail: e.Detail})
		}
		if at%1000 != 0 || r.CalcTime < at || r.CalcTime >= at+1000 {
			out = c.cap.add(out, Problem{Kind: ProblemFundingTime, OpenTime: at,
				Detail: fmt.Sprintf("funding_time %d is not calc_time %d floored to the second", at, r.CalcTime)})
		}
		hours := c.hours
		if r.HasIntervalHours && r.IntervalHours > 0 {
			hours = r.IntervalHours
		}
		switch {
		case c.seen && at == c.last:
			out = c.cap.add(out, Problem{Kind: ProblemDuplicate, OpenTime: at, Detail: "funding_time stored twice"})
		case c.seen && at < c.last:
			out = c.cap.add(out, Problem{Kind: ProblemUnsorted, OpenTime: at,
				Detail: fmt.Sprintf("funding_time after %s", millis(c.last))})
		case c.seen && at-c.last > hours*int64(time.Hour/time.Millisecond) && c.scope.overlaps(c.last, at):
			next := c.last + hours*int64(time.Hour/time.Millisecond)
			out = c.cap.add(out, Problem{Kind: ProblemFundingGap, OpenTime: next, Until: at,
				Detail: fmt.Sprintf("no settlement from %s to %s: %d missing on a %d h schedule",
					millis(next), millis(at), (at-c.last)/(hours*int64(time.Hour/time.Millisecond))-1, hours)})
		}
		if !c.seen || at > c.last {
			c.last, c.seen = at, true
		}
		c.hours = hours
	}
	return out
}
