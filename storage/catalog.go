package storage

import (
	"context"
	"slices"
	"strings"
)

// Catalog lists every file of the silver layer by series, each series'
// keys oldest period first. Only names are listed; nothing is read.
func (s *Store) Catalog(ctx context.Context) (map[Series][]Key, error) {
	cat, _, err := s.Scan(ctx)
	return cat, err
}

// Scan is Catalog plus the folders of monthly files left in the legacy
// layout (legacy.go), which are not part of the catalog.
func (s *Store) Scan(ctx context.Context) (map[Series][]Key, []LegacyFolder, error) {
	infos, err := s.backend.List(ctx, silverRoot+"/")
	if err != nil {
		return nil, nil, err
	}
	gold, err := s.backend.List(ctx, goldRoot+"/")
	if err != nil {
		return nil, nil, err
	}
	infos = append(infos, gold...)
	out := map[Series][]Key{}
	var legacy []string
	for _, in := range infos {
		if _, _, ok := legacyMonthly(in.Name); ok {
			legacy = append(legacy, in.Name)
			continue
		}
		if k, ok := ParseKey(in.Name); ok {
			out[k.Series()] = append(out[k.Series()], k)
		}
	}
	for s := range out {
		slices.SortFunc(out[s], func(a, b Key) int { return strings.Compare(a.Period, b.Period) })
	}
	return out, s.legacyFolders(legacy), nil
}

// SortedSeries returns the catalog's series by dataset, market, interval, symbol.
func SortedSeries(cat map[Series][]Key) []Series {
	out := make([]Series, 0, len(cat))
	for s := range cat {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Series) int {
		if c := strings.Compare(a.Dataset, b.Dataset); c != 0 {
			return c
		}
		if c := strings.Compare(a.Market, b.Market); c != 0 {
			return c
		}
		if c := strings.Compare(a.Interval, b.Interval); c != 0 {
			return c
		}
		return strings.Compare(a.Symbol, b.Symbol)
	})
	return out
}
