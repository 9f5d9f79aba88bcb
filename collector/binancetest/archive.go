package binancetest

import (
	"fmt"
	"net/http"
	"time"
)

// The fake also serves data.binance.vision's kline archive under /data/:
//
//	/data/{spot|futures/um|futures/cm}/{monthly|daily}/klines/SYM/INT/SYM-INT-{YYYY-MM|YYYY-MM-DD}.zip
//	... and the same path + ".CHECKSUM" ("<sha256>  <zip name>\n")
//
// Each zip holds one CSV named like it, with exactly the candles the REST
// API serves for that month or day, formatted as Binance's CSVs: the REST
// columns in REST order; spot files without a header and, from 2025-01-01
// on, with open and close times in microseconds; futures files with the
// header row from WithArchiveHeaderFrom on (default 2022-01-01). The
// monthly interval is spelled "1mo". A file exists once its period has
// ended (plus WithArchivePublishDelay) by the data clock, and only from the
// symbol's listing on; anything else is 404. Archive requests never count
// against the REST request weight.

const archivePrefix = "/data/"

var archiveMarketDirs = map[Market]string{Spot: "spot", USDM: "futures/um", COINM: "futures/cm"}

// archiveFile is a parsed kline archive path.
type archiveFile struct {
	archivePeriod
	iv interval
}

// ArchivePath is the URL path of the zip of m/symbol/interval for the month
// (or day, if daily) containing date; interval uses REST names ("1M").
func ArchivePath(m Market, symbol, interval string, daily bool, date time.Time) string {
	freq, layout := periodLayout(daily)
	name := interval
	if interval == "1M" {
		name = "1mo"
	}
	return fmt.Sprintf("%s%s/%s/klines/%s/%s/%s-%s-%s.zip", archivePrefix, archiveMarketDirs[m], freq, symbol, name, symbol, name, date.UTC().Format(layout))
}

// parseArchivePath accepts exactly the layout above.
func parseArchivePath(p string) (archiveFile, bool) {
	var f archiveFile
	m, parts, ok := splitArchivePath(p)
	if !ok || len(parts) != 5 || parts[1] != "klines" || (parts[0] != "monthly" && parts[0] != "daily") {
		return f, false
	}
	f.market, f.daily, f.symbol = m, parts[0] == "daily", parts[2]
	ivName := parts[3]
	if ivName == "1mo" {
		ivName = "1M"
	} else if ivName == "1M" {
		return f, false // the archive never spells it like REST
	}
	iv, ok := lookupInterval(specs[f.market], ivName)
	if !ok {
		return f, false
	}
	f.iv = iv
	return f, f.parseName(p, parts[4], f.symbol+"-"+parts[3])
}

// published reports whether the file exists as of the data clock.
func (s *Server) published(f archiveFile) bool {
	listing, ok := s.cfg.symbols[f.market][f.symbol]
	_, end := f.bounds()
	if !ok || end <= f.iv.floor(listing.UnixMilli()) {
		return false
	}
	return s.publishedBy(f.daily, end)
}

// serveArchive answers one archive request, with any scripted archive fault.
func (s *Server) serveArchive(w http.ResponseWriter, r *http.Request) {
	if tf, ok := parseTradesArchivePath(r.URL.Path); ok {
		s.serveTradesArchive(w, r, tf) // trades_serve.go
		return
	}
	if ff, ok := parseFundingArchivePath(r.URL.Path); ok {
		s.serveFundingArchive(w, r, ff) // funding_archive.go
		return
	}
	f, ok := parseArchivePath(r.URL.Path)
	if !ok || !s.published(f) {
		http.NotFound(w, r)
		return
	}
	fault, faulted := s.takeArchiveFault(f.archivePeriod)
	if faulted && fault == ArchiveMissing {
		http.NotFound(w, r)
		return
	}
	body, err := s.archiveBody(f, fault, faulted)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	if f.checksum {
		h.Set("Content-Type", "text/plain")
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}
