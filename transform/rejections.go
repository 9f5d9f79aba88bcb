package transform

// MaxRejectionExamples is how many rejected rows of each reason a
// Rejections keeps as examples. The rest are only counted: a format change
// over a year of 1s candles rejects millions of rows, and holding (or
// printing) each of them would cost far more than the candles themselves.
const MaxRejectionExamples = 5

// Rejections counts rejected rows by reason (RowError.Type) and keeps the
// first MaxRejectionExamples of each. Its size is bounded by the number of
// reasons, which is small and fixed (the Err* constants), however many rows
// are rejected. The zero value is empty and ready to use; it is not safe
// for concurrent use.
type Rejections struct {
	reasons []ReasonCount // in order of first occurrence
	total   int
}

// ReasonCount is the number of rows rejected for one reason and the first
// few of them.
type ReasonCount struct {
	Reason   string
	N        int
	Examples []*RowError
}

// Add counts e and keeps it if it is among the first of its reason.
func (r *Rejections) Add(e *RowError) {
	r.total++
	rc := r.reason(e.Type)
	rc.N++
	if len(rc.Examples) < MaxRejectionExamples {
		rc.Examples = append(rc.Examples, e)
	}
}

// Merge adds every count of o to r, and o's examples while r has room.
func (r *Rejections) Merge(o *Rejections) {
	for _, oc := range o.reasons {
		rc := r.reason(oc.Reason)
		rc.N += oc.N
		room := max(MaxRejectionExamples-len(rc.Examples), 0)
		rc.Examples = append(rc.Examples, oc.Examples[:min(room, len(oc.Examples))]...)
	}
	r.total += o.total
}

func (r *Rejections) reason(typ string) *ReasonCount {
	for i := range r.reasons {
		if r.reasons[i].Reason == typ {
			return &r.reasons[i]
		}
	}
	r.reasons = append(r.reasons, ReasonCount{Reason: typ})
	return &r.reasons[len(r.reasons)-1]
}

// Total is the number of rejected rows.
func (r *Rejections) Total() int { return r.total }

// ByReason returns the number of rejected rows per reason; nil when none.
func (r *Rejections) ByReason() map[string]int {
	if len(r.reasons) == 0 {
		return nil
	}
	m := make(map[string]int, len(r.reasons))
	for _, rc := range r.reasons {
		m[rc.Reason] = rc.N
	}
	return m
}

// Examples returns the rows kept as examples, reason by reason in order of
// first occurrence, at most MaxRejectionExamples per reason.
func (r *Rejections) Examples() []*RowError {
	var out []*RowError
	for _, rc := range r.reasons {
		out = append(out, rc.Examples...)
	}
	return out
}

// Counts returns a copy of the counts per reason, in order of first
// occurrence (examples shared, not copied); nil when none. Telemetry takes
// one before a batch and compares after it with CountsSince, to record each
// batch's rejections per reason rather than per row.
func (r *Rejections) Counts() []ReasonCount {
	if len(r.reasons) == 0 {
		return nil
	}
	return append([]ReasonCount(nil), r.reasons...)
}

// CountsSince calls f with the number of rows rejected per reason since
// before was taken (by Counts), skipping reasons without new rows.
func (r *Rejections) CountsSince(before []ReasonCount, f func(reason string, n int)) {
	for i, rc := range r.reasons {
		n := rc.N
		// Reasons only ever get appended, so a reason's index is stable.
		if i < len(before) {
			n -= before[i].N
		}
		if n > 0 {
			f(rc.Reason, n)
		}
	}
}
