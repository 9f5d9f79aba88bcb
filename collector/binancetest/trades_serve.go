package binancetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// InjectArchiveCut makes the next n downloads (GETs) of the trades archive
// zip at zipPath (see TradesArchivePath) stop after fraction (0..1) of the
// whole file's bytes and close the connection, as a dropped download does.
// The response promises the full length, so the client sees an unexpected
// EOF; a resumed request (Range: bytes=N-) starting at or after the cut
// point is served to the end and still uses up one cut. n < 0: for good.
func (s *Server) InjectArchiveCut(zipPath string, n int, fraction float64) {
	s.cuts.add(zipPath, n, min(max(fraction, 0), 1))
}

// takeArchiveCut returns the fraction of a cut pending for zipPath and
// uses it up.
func (s *Server) takeArchiveCut(zipPath string) (float64, bool) {
	return s.cuts.take(zipPath, func(float64) bool { return true })
}

// serveTradesArchive answers one trades archive request. Zips carry
// Accept-Ranges, an ETag (the quoted SHA-256) and honour "Range: bytes=N-"
// or "bytes=N-M" with 206 and Content-Range (416 past the end), unless an
// If-Range names another ETag. The existing archive faults apply
// (InjectArchive), and InjectArchiveCut drops the connection mid-file.
func (s *Server) serveTradesArchive(w http.ResponseWriter, r *http.Request, f tradeFile) {
	g := s.tradeGen(f.market, f.symbol, nil)
	if !s.tradesPublished(f, g) {
		http.NotFound(w, r)
		return
	}
	fault, faulted := s.takeArchiveFault(f.archivePeriod)
	if faulted && fault == ArchiveMissing {
		http.NotFound(w, r)
		return
	}
	v := zipVariant{badRow: faulted && fault == ArchiveCorruptRow, corrupt: faulted && fault == ArchiveCorruptZip}
	info, err := s.tradesZipInfo(f, g, v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	if f.checksum {
		sum := info.sum
		if faulted && fault == ArchiveBadChecksum {
			sum = sha256.Sum256([]byte("not this zip"))
		}
		body := fmt.Appendf(nil, "%x  %s\n", sum, f.name())
		h.Set("Content-Type", "text/plain")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
		return
	}

	etag := `"` + hex.EncodeToString(info.sum[:]) + `"`
	h.Set("Content-Type", "application/zip")
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag)
	from, to, status := int64(0), info.size, http.StatusOK
	if rng := r.Header.Get("Range"); rng != "" && (r.Header.Get("If-Range") == "" || r.Header.Get("If-Range") == etag) {
		lo, hi, ok := parseByteRange(rng, info.size)
		switch {
		case ok && lo >= info.size:
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", info.size))
			http.Error(w, "requested range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return
		case ok:
			from, to, status = lo, hi, http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to-1, info.size))
		}
	}
	if faulted && fault == ArchiveTruncatedZip {
		to = max(from, min(to, info.size/2)) // served as if complete
	}
	stop := to
	cutFr, cut := 0.0, false
	if r.Method != http.MethodHead {
		cutFr, cut = s.takeArchiveCut(f.zipPath)
	}
	if at := int64(cutFr * float64(info.size)); cut && at > from {
		stop = min(stop, at)
	} else {
		cut = false
	}
	h.Set("Content-Length", strconv.FormatInt(to-from, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	cutAt := int64(-1)
	if cut {
		cutAt = stop
	}
	s.zipLog.add(f.zipPath, ZipDownload{Range: r.Header.Get("Range"), Status: status, From: from, CutAt: cutAt, Size: info.size})
	corruptAt := int64(-1)
	if v.corrupt {
		corruptAt = info.size / 3
	}
	ww := &windowWriter{w: w, from: from, to: stop, corruptAt: corruptAt}
	if stop > from {
		if err := s.writeTradesZip(ww, f, g, v.badRow); err != nil {
			return // the client went away
		}
	}
	if cut {
		http.NewResponseController(w).Flush()
		closeConn(w)
	}
}

// parseByteRange reads "bytes=N-" or "bytes=N-M" into [lo, hi). Anything
// else (several ranges, suffix ranges) is ignored, as RFC 9110 allows.
func parseByteRange(v string, size int64) (int64, int64, bool) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	a, b, dash := strings.Cut(spec, "-")
	if !ok || !dash || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	lo, err := strconv.ParseInt(a, 10, 64)
	if err != nil || lo < 0 {
		return 0, 0, false
	}
	hi := size
	if b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < lo {
			return 0, 0, false
		}
		hi = min(n+1, size)
	}
	return lo, hi, true
}
