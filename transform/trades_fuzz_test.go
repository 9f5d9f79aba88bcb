package transform

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fixtureLines returns the lines of every trades fixture whose name
// contains kind, as fuzz seeds.
func fixtureLines(f *testing.F, kind string) [][]byte {
	f.Helper()
	names, err := filepath.Glob(filepath.Join(tradesTestdata, "*"+kind+"*.csv"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no fixtures for %s: %v", kind, err)
	}
	var out [][]byte
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, bytes.Split(bytes.TrimRight(b, "\r\n"), []byte("\n"))...)
	}
	return out
}

// FuzzParseTradeRow: no line panics the parser; a row it accepts for any
// market survives the builder unchanged.
func FuzzParseTradeRow(f *testing.F) {
	for _, l := range fixtureLines(f, "-trades-") {
		f.Add(l)
	}
	f.Add([]byte("1,2,3,4,99999999999999999999,true"))
	f.Add([]byte("1,1e308,1e309,-0,1,TRUE,False"))
	f.Add([]byte(",,,,,,,,,,,,,"))
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, market := range []string{"spot", "usdm", "coinm"} {
			m, _ := parseTradeMarket(market)
			tr, err := parseTradeRow(line, m)
			if err != nil {
				continue
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			b, _ := NewTradesBuilder(mem, market)
			if b.Append(tr) {
				rec := b.NewRecord()
				if got := Trades(rec)[0]; got != tr && !(got.Price != got.Price || got.Qty != got.Qty || got.QuoteQty != got.QuoteQty) {
					t.Errorf("%s %q: stored %+v, parsed %+v", market, line, got, tr)
				}
				rec.Release()
			} else if b.Rejected.Total() != 1 {
				t.Errorf("%s %q: rejected without a reason", market, line)
			}
			b.Release()
			mem.AssertSize(t, 0)
		}
	})
}

// FuzzParseAggTradeRow is FuzzParseTradeRow for aggregate trades.
func FuzzParseAggTradeRow(f *testing.F) {
	for _, l := range fixtureLines(f, "-aggtrades-") {
		f.Add(l)
	}
	f.Add([]byte("1,2,3,5,4,1700000000000,true"))
	f.Add([]byte("-1,2,3,-1,-1,1735689600000000,True,True"))
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, market := range []string{"spot", "usdm"} {
			m, _ := parseTradeMarket(market)
			a, err := parseAggTradeRow(line, m)
			if err != nil {
				continue
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			b, _ := NewAggTradesBuilder(mem, market)
			if b.Append(a) {
				rec := b.NewRecord()
				if got := AggTrades(rec)[0]; got != a && got.Qty == got.Qty {
					t.Errorf("%s %q: stored %+v, parsed %+v", market, line, got, a)
				}
				rec.Release()
			}
			b.Release()
			mem.AssertSize(t, 0)
		}
	})
}

// FuzzReadTradesCSV: whole files (headers, blank lines, CRLF, garbage)
// never panic the reader, never leak, and every row read is valid.
func FuzzReadTradesCSV(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join(tradesTestdata, "*-trades-*.csv"))
	for _, name := range names {
		b, _ := os.ReadFile(name)
		f.Add(b, uint8(len(name)%3))
	}
	f.Add([]byte("id,price\n\n\r\n1,2,3,4,5,true\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mk uint8) {
		market := [...]string{"spot", "usdm", "coinm"}[mk%3]
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		b, _ := NewTradesBuilder(mem, market)
		defer b.Release()
		_ = ReadTradesCSV(bytes.NewReader(data), b, 3, func(rec arrow.RecordBatch) error {
			prev := int64(-1 << 63)
			for _, tr := range Trades(rec) {
				if !(tr.Price > 0) || !checkTime(tr.Time) || tr.ID <= prev && prev != -1<<63 {
					t.Errorf("invalid row stored: %+v", tr)
				}
				prev = tr.ID
			}
			return nil
		})
	})
}

// Parsing a valid row allocates nothing: a day of a busy symbol is
// millions of rows.
func TestParseTradeRowsDoNotAllocate(t *testing.T) {
	spot := []byte("4120000000,94591.79000000,0.00010000,9.45917900,1735689600001234,True,True")
	agg := []byte("26129,0.01633102,4.70443515,27781,27781,1498793709153,true")
	if n := testing.AllocsPerRun(100, func() { _, _ = parseTradeRow(spot, spotMarket) }); n != 0 {
		t.Errorf("parseTradeRow: %v allocs", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = parseAggTradeRow(agg, usdmMarket) }); n != 0 {
		t.Errorf("parseAggTradeRow: %v allocs", n)
	}
	lines := bytes.Split(benchTradesCSV(200), []byte("\n"))
	b, _ := NewTradesBuilder(memory.NewGoAllocator(), "spot")
	defer b.Release()
	b.Reserve(len(lines))
	k := 0
	if n := testing.AllocsPerRun(100, func() { _ = b.appendCSV(lines[k], k+1); k++ }); n != 0 {
		t.Errorf("appendCSV: %v allocs", n)
	}
	if b.Rejected.Total() != 0 {
		t.Errorf("rejected: %v", b.Rejected.Examples())
	}
}

// FuzzScanTradeRow: where the fast path of parseTradeRow (scanTradeRow)
// takes a line, the field-by-field parse gives the same trade.
func FuzzScanTradeRow(f *testing.F) {
	for _, l := range fixtureLines(f, "-trades-") {
		f.Add(l)
	}
	f.Add([]byte("17193600000,43828.83000000,0.00203800,89.32315554,1709251200007,True,True"))
	f.Add([]byte("1,2.5,3,7.5,1735689600000001,False,True,"))
	f.Add([]byte("1,.5,3.,0.123456789012345678,1700000000000,true"))
	f.Add([]byte("123456789012345678,9007199254740993,1.00000000000000000000,4,5,false"))
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, m := range []tradeMarket{spotMarket, usdmMarket, coinmMarket} {
			fast, ok := scanTradeRow(line, m)
			if !ok {
				continue
			}
			var fl [maxTradeFields][]byte
			n := SplitFields(line, fl[:])
			if n != tradeFields(m) {
				t.Fatalf("%q (market %d): fast path took %d fields", line, m, n)
			}
			slow, err := parseTradeRowFields(fl[:n], m)
			if err != nil || slow != fast {
				t.Fatalf("%q (market %d): fast %+v, field by field %+v, %v", line, m, fast, slow, err)
			}
		}
	})
}

// TestScanTradeRowAgreesWithFields runs FuzzScanTradeRow's check on
// random rows around the fast path's limits: long mantissas, trailing
// zeros, no fraction or no integer digits, 18- and 19-digit integers.
func TestScanTradeRowAgreesWithFields(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	decimal := func() string {
		switch rng.IntN(4) {
		case 0:
			return digits(rng.IntN(12)) + "." + digits(8)
		case 1:
			return digits(1+rng.IntN(20)) + "." + digits(rng.IntN(12))
		case 2:
			return digits(1 + rng.IntN(20))
		}
		return "." + digits(rng.IntN(24))
	}
	boolean := func() string { return [...]string{"True", "False", "true", "false", "TRUE", "x"}[rng.IntN(6)] }
	taken := 0
	for range 200_000 {
		f := []string{digits(1 + rng.IntN(19)), decimal(), decimal(), decimal(), digits(1 + rng.IntN(19)), boolean(), boolean()}
		line := []byte(strings.Join(f[:6+rng.IntN(2)], ","))
		for _, m := range []tradeMarket{spotMarket, usdmMarket} {
			fast, ok := scanTradeRow(line, m)
			if !ok {
				continue
			}
			taken++
			var fl [maxTradeFields][]byte
			n := SplitFields(line, fl[:])
			slow, err := parseTradeRowFields(fl[:n], m)
			if n != tradeFields(m) || err != nil || slow != fast {
				t.Fatalf("%q (market %d): fast %+v, field by field %+v, %v", line, m, fast, slow, err)
			}
		}
	}
	if taken < 10_000 {
		t.Fatalf("the fast path took only %d rows", taken)
	}
}
