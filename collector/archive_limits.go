package collector

import (
	"fmt"
	"time"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// An archive file is bounded by the candles its period can hold, so a
// damaged or hostile file fails (as an unreadable file: downloaded once
// more, then reported, nothing of it stored) before it costs more memory
// or time than a good one of its size would.

// maxCSVRowBytes bounds the average CSV row of a kline file. Real rows are
// 120-160 bytes (BTCUSDT, µs times from 2025); the widest plausible one
// (µs times, six-digit prices, 14-digit volumes, all at 8 decimals, CRLF)
// is about 200. The bound is only a ceiling, so it is generous: a file
// failing it would lose real candles.
const maxCSVRowBytes = 384

// csvHeaderBytes leaves room for the header row of newer futures files
// (about 130 bytes).
const csvHeaderBytes = 1 << 10

// zipOverheadBytes covers the zip's own headers, the entry's name and any
// small extra entry. DEFLATE itself never grows data by more than 5 bytes
// per 64 KiB stored block.
const zipOverheadBytes = 64 << 10

// fileLimits bound one archive file.
type fileLimits struct {
	rows  int64 // CSV data rows
	entry int64 // bytes of the inflated CSV entry
	zip   int64 // bytes of the downloaded zip
}

// limitsOf is what f can hold: the candles that open in its period plus
// one (a 3d or 1w candle that opened before the month and runs into it),
// each at most maxCSVRowBytes, and a header.
func limitsOf(f ArchiveFile) fileLimits {
	start, end := f.Range()
	rows := f.Interval.Count(start, end) + 1
	entry := rows*maxCSVRowBytes + csvHeaderBytes
	return fileLimits{rows: rows, entry: entry, zip: entry + entry/64 + zipOverheadBytes}
}

// boundedRows passes rows on to row while they fit lim and their open
// times increase; a file breaking either is damaged, not a reason to keep
// reading (or, with a grid of 1 ms steps, to build millions of rows).
func boundedRows(lim fileLimits, row func(transform.Kline) error) func(transform.Kline) error {
	n, prev := int64(0), int64(0)
	return func(k transform.Kline) error {
		switch n++; {
		case n > lim.rows:
			return fmt.Errorf("row %d: more than the %d rows a file of its period can hold", n, lim.rows)
		case n > 1 && k.OpenTime <= prev:
			return fmt.Errorf("row %d: open time %s is not after the previous row's %s", n, msTime(k.OpenTime), msTime(prev))
		}
		prev = k.OpenTime
		return row(k)
	}
}

func msTime(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

// decodeHook, when set (only tests set it), runs at the start of every
// file's decode: a test panics in it to check that the panic fails the
// file and not the process.
var decodeHook func(ArchiveFile)

// decodeFile decodes f's verified zip within f's limits. A panic (a decoder
// bug meeting some input) becomes f's error, naming the file and the panic
// value, so one file fails and the run goes on.
func decodeFile(f ArchiveFile, zipped []byte, row func(transform.Kline) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoding %s panicked: %v", f.Name(), p)
		}
	}()
	if decodeHook != nil {
		decodeHook(f)
	}
	return decodeZip(zipped, limitsOf(f), row)
}
