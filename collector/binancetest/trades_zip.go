package binancetest

import (
	"archive/zip"
	"compress/flate"
	"crypto/sha256"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A trades zip is never held in memory: it is generated (minute by minute)
// and deflated straight into the response. Its size and SHA-256 (needed for
// Content-Length, ETag and the CHECKSUM) come from one extra generation
// pass into a hash, remembered per file in zipInfoCache. Generation is
// deterministic, so every pass yields the same bytes.

// zipInfo is what is known of a generated zip without keeping it.
type zipInfo struct {
	size int64
	sum  [sha256.Size]byte
}

// zipInfoCache remembers sizes and digests; entries are tiny, so it keeps
// many and simply starts over when full.
type zipInfoCache struct {
	mu sync.Mutex
	m  map[string]zipInfo
}

const zipInfoCacheSize = 4096

// zipVariant selects the damage a scripted archive fault applies.
type zipVariant struct {
	badRow  bool // one unparsable CSV row (ArchiveCorruptRow)
	corrupt bool // flipped bytes in the deflated data (ArchiveCorruptZip)
}

func (v zipVariant) key() string { return strconv.FormatBool(v.badRow) + strconv.FormatBool(v.corrupt) }

// tradesZipInfo returns the size and digest of f's zip as served.
func (s *Server) tradesZipInfo(f tradeFile, g *tradeGen, v zipVariant) (zipInfo, error) {
	key := f.zipPath + "#" + v.key()
	s.tradeZips.mu.Lock()
	info, ok := s.tradeZips.m[key]
	s.tradeZips.mu.Unlock()
	if ok {
		return info, nil
	}
	if v == (zipVariant{}) {
		if zf, ok := s.tradesZipFile(f, g); ok {
			return zf.info, zf.err
		}
	}
	var corruptAt int64 = -1
	if v.corrupt {
		clean, err := s.tradesZipInfo(f, g, zipVariant{badRow: v.badRow})
		if err != nil {
			return info, err
		}
		corruptAt = clean.size / 3
	}
	h := sha256.New()
	ww := &windowWriter{w: h, to: 1 << 62, corruptAt: corruptAt}
	if err := s.writeTradesZip(ww, f, g, v.badRow); err != nil {
		return info, err
	}
	info.size = ww.pos
	h.Sum(info.sum[:0])
	s.tradeZips.mu.Lock()
	if s.tradeZips.m == nil || len(s.tradeZips.m) >= zipInfoCacheSize {
		s.tradeZips.m = map[string]zipInfo{}
	}
	s.tradeZips.m[key] = info
	s.tradeZips.mu.Unlock()
	return info, nil
}

// errWindowDone stops generation once the requested bytes are written.
var errWindowDone = errors.New("binancetest: window written")

// windowWriter passes on the bytes of the logical stream in [from, to),
// flipping the 16 bytes at corruptAt (if >= 0) like corrupt() does.
type windowWriter struct {
	w         io.Writer
	pos       int64
	from, to  int64
	corruptAt int64
}

func (ww *windowWriter) Write(p []byte) (int, error) {
	n := len(p)
	start := ww.pos
	ww.pos += int64(n)
	if c := ww.corruptAt; c >= 0 && start < c+16 && ww.pos > c {
		p = append([]byte(nil), p...)
		for i := max(start, c); i < min(ww.pos, c+16); i++ {
			p[i-start] ^= 0x5a
		}
	}
	if lo, hi := max(start, ww.from), min(ww.pos, ww.to); lo < hi {
		if _, err := ww.w.Write(p[lo-start : hi-start]); err != nil {
			return 0, err
		}
	}
	if ww.pos >= ww.to {
		return n, errWindowDone
	}
	return n, nil
}

// writeTradesZip writes f's zip into w: from its file under
// WithTradesZipDir, else generated. It stops early, returning nil, when w
// reports errWindowDone.
func (s *Server) writeTradesZip(w io.Writer, f tradeFile, g *tradeGen, badRow bool) error {
	if !badRow {
		if zf, ok := s.tradesZipFile(f, g); ok {
			return zf.copyTo(w)
		}
	}
	return s.generateTradesZip(w, f, g, badRow)
}

// generateTradesZip generates f's zip into w. It stops early, returning
// nil, when w reports errWindowDone.
func (s *Server) generateTradesZip(w io.Writer, f tradeFile, g *tradeGen, badRow bool) error {
	start, end := f.bounds()
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed) // big files: speed over the last percent of size
	})
	fw, err := zw.CreateHeader(&zip.FileHeader{
		Name: strings.TrimSuffix(f.name(), ".zip") + ".csv", Method: zip.Deflate, Modified: time.UnixMilli(end).UTC(),
	})
	if err == nil {
		err = s.writeTradesCSV(fw, f, g, start, end, badRow)
	}
	if err == nil {
		err = zw.Close()
	}
	if errors.Is(err, errWindowDone) {
		return nil
	}
	return err
}

// writeTradesCSV writes the rows of [start, end) ms in 64 KiB chunks.
func (s *Server) writeTradesCSV(w io.Writer, f tradeFile, g *tradeGen, start, end int64, badRow bool) error {
	buf := make([]byte, 0, 80<<10)
	buf = append(buf, f.header(s.cfg.trades.headerFrom)...)
	startMin, endMin := start/minuteMs, end/minuteMs
	badMin := max(g.listMin, (startMin+endMin)/2)
	var aggs []aggTrade
	for m := max(startMin, g.listMin); m < endMin; m++ {
		ts := g.minute(m)
		mark := len(buf)
		if f.agg {
			aggs = aggregate(ts, aggs[:0])
			for i := range aggs {
				buf = g.appendAggCSV(buf, &aggs[i], f)
			}
		} else {
			for i := range ts {
				buf = g.appendTradeCSV(buf, &ts[i], f)
			}
		}
		if badRow && m == badMin {
			first := mark + strings.IndexByte(string(buf[mark:]), '\n') + 1
			buf = append(buf[:mark], append([]byte("1.5e3,oops,not,a,trade\n"), buf[first:]...)...)
		}
		if len(buf) >= 64<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := w.Write(buf)
	return err
}

// appendBool writes Binance's CSV booleans: True/False on spot, true/false
// on futures.
func appendBool(b []byte, v bool, spot bool) []byte {
	switch {
	case spot && v:
		return append(b, "True"...)
	case spot:
		return append(b, "False"...)
	}
	return strconv.AppendBool(b, v)
}

func (f tradeFile) csvTime(us int64) int64 {
	if f.micros() {
		return us
	}
	return us / 1000
}

func (g *tradeGen) appendTradeCSV(b []byte, t *trade, f tradeFile) []byte {
	b = strconv.AppendInt(b, t.id, 10)
	b = g.appendPrice(append(b, ','), t.price)
	b = g.appendQty(append(b, ','), t.qty)
	b = g.appendQuote(append(b, ','), t.quote)
	b = strconv.AppendInt(append(b, ','), f.csvTime(t.time), 10)
	b = appendBool(append(b, ','), t.buyerMaker, g.market == Spot)
	if g.market == Spot {
		b = append(b, ",True"...)
	}
	return append(b, '\n')
}

func (g *tradeGen) appendAggCSV(b []byte, a *aggTrade, f tradeFile) []byte {
	b = strconv.AppendInt(b, a.id, 10)
	b = g.appendPrice(append(b, ','), a.price)
	b = g.appendQty(append(b, ','), a.qty)
	b = strconv.AppendInt(append(b, ','), a.first, 10)
	b = strconv.AppendInt(append(b, ','), a.last, 10)
	b = strconv.AppendInt(append(b, ','), f.csvTime(a.time), 10)
	b = appendBool(append(b, ','), a.buyerMaker, g.market == Spot)
	if g.market == Spot {
		b = append(b, ",True"...)
	}
	return append(b, '\n')
}
