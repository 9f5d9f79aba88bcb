package binancetest

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// spotMicrosFrom: Binance's spot archive switched open/close times to
// microseconds for data from 2025-01-01 on. Futures stayed in milliseconds.
var spotMicrosFrom = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// archiveHeader is the header row of newer futures kline CSVs.
const archiveHeader = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n"

// zipCache keeps recently built zips: a client asks for the CHECKSUM and
// then the zip, and both need the same bytes. Bounded, so a long backfill
// against the fake does not grow its memory.
type zipCache struct {
	mu   sync.Mutex
	m    map[string][]byte
	size int
}

// DefaultZipCache is how many built zips the fake keeps (WithZipCache).
const DefaultZipCache = 16

func (c *zipCache) get(key string, build func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	b, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.size {
		c.m = map[string][]byte{}
	}
	c.m[key] = b
	c.mu.Unlock()
	return b, nil
}

// archiveBody renders a zip or CHECKSUM, damaged as fault says.
func (s *Server) archiveBody(f archiveFile, fault ArchiveFault, faulted bool) ([]byte, error) {
	variant := "ok"
	if faulted && (fault == ArchiveCorruptZip || fault == ArchiveCorruptRow) {
		variant = strconv.Itoa(int(fault))
	}
	zipped, err := s.zips.get(f.zipPath+"#"+variant, func() ([]byte, error) { return s.buildZip(f, faulted && fault == ArchiveCorruptRow) })
	if err != nil {
		return nil, err
	}
	if faulted && fault == ArchiveCorruptZip && !f.checksum {
		zipped = corrupt(zipped)
	}
	if !f.checksum {
		if faulted && fault == ArchiveTruncatedZip {
			return zipped[:len(zipped)/2], nil
		}
		return zipped, nil
	}
	if faulted && fault == ArchiveCorruptZip {
		zipped = corrupt(zipped) // the published digest matches the damaged zip
	}
	sum := sha256.Sum256(zipped)
	if faulted && fault == ArchiveBadChecksum {
		sum = sha256.Sum256([]byte("not this zip"))
	}
	return fmt.Appendf(nil, "%x  %s\n", sum, f.name()), nil
}

// corrupt returns a copy of a zip with bytes of the compressed CSV flipped
// while its directory stays intact: it opens, but inflating or the CRC fails.
func corrupt(z []byte) []byte {
	c := bytes.Clone(z)
	for i := len(c) / 3; i < len(c)/3+16 && i < len(c); i++ {
		c[i] ^= 0x5a
	}
	return c
}

// buildZip renders the file's CSV into a zip holding one entry.
func (s *Server) buildZip(f archiveFile, badRow bool) ([]byte, error) {
	start, end := f.bounds()
	nowMs := s.cfg.now().UnixMilli()
	g := s.series(f.market, f.symbol, f.iv)
	opens := g.forward(start, end-1, -1, nil)
	micros := f.market == Spot && !f.date.Before(spotMicrosFrom)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: strings.TrimSuffix(f.name(), ".zip") + ".csv", Method: zip.Deflate, Modified: time.UnixMilli(end).UTC()})
	if err != nil {
		return nil, err
	}
	if f.market != Spot && !f.date.Before(s.cfg.archive.headerFrom) {
		w.Write([]byte(archiveHeader))
	}
	line := make([]byte, 0, 256)
	for i, open := range opens {
		if g.iv.next(open)-1 >= nowMs {
			break // still open: not in a published file
		}
		k := g.closed(open)
		line = appendCSVRow(line[:0], &k, micros)
		if badRow && i == len(opens)/2 {
			line = append(line[:0], "1.5e3,oops,not,a,candle\n"...)
		}
		if _, err := w.Write(line); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appendCSVRow formats a candle as one archive CSV line: the REST values
// unquoted, the ignore column 0.
func appendCSVRow(b []byte, k *candle, micros bool) []byte {
	open, closeT := k.open, k.close
	if micros {
		open, closeT = open*1000, closeT*1000+999
	}
	b = strconv.AppendInt(b, open, 10)
	for _, v := range [...]int64{k.o, k.h, k.l, k.c, k.vol} {
		b = appendFixed(append(b, ','), v)
	}
	b = strconv.AppendInt(append(b, ','), closeT, 10)
	b = appendFixed(append(b, ','), k.qvol)
	b = strconv.AppendInt(append(b, ','), k.trades, 10)
	b = appendFixed(append(b, ','), k.tbb)
	b = appendFixed(append(b, ','), k.tbq)
	return append(b, ",0\n"...)
}
