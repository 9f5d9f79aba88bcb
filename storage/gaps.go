package storage

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// MetaSourceGaps is the key-value metadata entry in which a file records
// the gaps in Binance's own data that a fetch confirmed inside the file's
// period: the source answered for that range and had no rows there. A
// later run does not request them again and verify labels them "gap at
// Binance" instead of "missing".
const MetaSourceGaps = "lakehouse.source_gaps"

// SourceGap is a range [From, To) of the dataset's key (klines: open times
// in ms on the interval grid) that Binance confirmed empty at Confirmed.
type SourceGap struct {
	From      int64     `json:"from"`
	To        int64     `json:"to"`
	Confirmed time.Time `json:"confirmed"`
}

// ParseSourceGaps reads the confirmed gaps of a file's metadata, sorted
// by From; none when the entry is absent.
func ParseSourceGaps(meta map[string]string) ([]SourceGap, error) {
	v, ok := meta[MetaSourceGaps]
	if !ok || v == "" {
		return nil, nil
	}
	var gaps []SourceGap
	if err := json.Unmarshal([]byte(v), &gaps); err != nil {
		return nil, fmt.Errorf("metadata %s: %w", MetaSourceGaps, err)
	}
	for _, g := range gaps {
		if g.To <= g.From {
			return nil, fmt.Errorf("metadata %s: empty range [%d, %d)", MetaSourceGaps, g.From, g.To)
		}
	}
	slices.SortFunc(gaps, func(a, b SourceGap) int { return compareInt(a.From, b.From) })
	return gaps, nil
}

// FormatSourceGaps is the metadata value of gaps (sorted, merged), or ""
// when there are none.
func FormatSourceGaps(gaps []SourceGap) string {
	gaps = MergeSourceGaps(gaps)
	if len(gaps) == 0 {
		return ""
	}
	for i := range gaps {
		gaps[i].Confirmed = gaps[i].Confirmed.UTC().Truncate(time.Second)
	}
	b, _ := json.Marshal(gaps) // plain ints and times cannot fail
	return string(b)
}

// MergeSourceGaps sorts gaps and joins the overlapping and adjacent ones;
// a joined gap keeps the earliest confirmation.
func MergeSourceGaps(gaps []SourceGap) []SourceGap {
	gaps = slices.Clone(gaps)
	slices.SortFunc(gaps, func(a, b SourceGap) int { return compareInt(a.From, b.From) })
	var out []SourceGap
	for _, g := range gaps {
		if g.To <= g.From {
			continue
		}
		if n := len(out); n > 0 && g.From <= out[n-1].To {
			last := &out[n-1]
			last.To = max(last.To, g.To)
			if g.Confirmed.Before(last.Confirmed) {
				last.Confirmed = g.Confirmed
			}
			continue
		}
		out = append(out, g)
	}
	return out
}

// ConfirmedAt returns the confirmed gap that holds every key of [from, to),
// if one does.
func ConfirmedAt(gaps []SourceGap, from, to int64) (SourceGap, bool) {
	for _, g := range gaps {
		if g.From <= from && to <= g.To {
			return g, true
		}
	}
	return SourceGap{}, false
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
