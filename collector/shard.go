package collector

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Shard selects one of N disjoint parts of a plan, for Kubernetes Indexed
// Jobs where pod i of n takes part i.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("malformed --shard %q: use i/n, e.g. 0/4", s)
	}
	return NewShard(i, n)
}

// NewShard checks 0 <= i < n.
func NewShard(i, n int) (Shard, error) {
	if n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %d/%d out of range: need 0 <= index < count", i, n)
	}
	return Shard{Index: i, Count: n}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Select returns the tasks of this shard. Tasks are ordered by market,
// symbol and interval and dealt round-robin, so every pod computes the same
// assignment from the same arguments, shards never overlap, their union is
// the whole plan, and sizes differ by at most one task.
func (s Shard) Select(tasks []Task) []Task {
	if s.Count <= 1 {
		return tasks
	}
	sorted := slices.Clone(tasks)
	slices.SortStableFunc(sorted, func(a, b Task) int {
		return cmp.Or(cmp.Compare(a.Market, b.Market), cmp.Compare(a.Symbol, b.Symbol), cmp.Compare(a.Interval.Duration(), b.Interval.Duration()), cmp.Compare(a.Interval, b.Interval))
	})
	var out []Task
	for i, t := range sorted {
		if i%s.Count == s.Index {
			out = append(out, t)
		}
	}
	return out
}
