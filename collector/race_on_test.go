//go:build race

package collector_test

// raceEnabled: the race detector slows the fake's candle generation about
// tenfold, so the longest tests skip under it.
const raceEnabled = true
