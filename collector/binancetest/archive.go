package binancetest

import (
	"fmt"
	"net/http"
	"strings"
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

// archiveFile is a parsed archive path.
type archiveFile struct {
	market   Market
	symbol   string
	iv       interval
	daily    bool
	date     time.Time // 00:00 UTC of the day or of the 1st of the month
	checksum bool      // the .CHECKSUM, not the zip
	zipPath  string    // the zip's path (the fault key)
}

// ArchivePath is the URL path of the zip of m/symbol/interval for the month
// (or day, if daily) containing date; interval uses REST names ("1M").
func ArchivePath(m Market, symbol, interval string, daily bool, date time.Time) string {
	freq, layout := "monthly", "2006-01"
	if daily {
		freq, layout = "daily", "2006-01-02"
	}
	name := interval
	if interval == "1M" {
		name = "1mo"
	}
	return fmt.Sprintf("%s%s/%s/klines/%s/%s/%s-%s-%s.zip", archivePrefix, archiveMarketDirs[m], freq, symbol, name, symbol, name, date.UTC().Format(layout))
}

// parseArchivePath accepts exactly the layout above.
func parseArchivePath(p string) (archiveFile, bool) {
	var f archiveFile
	rest, ok := strings.CutPrefix(p, archivePrefix)
	if !ok {
		return f, false
	}
	found := false
	for _, m := range markets {
		if r, ok := strings.CutPrefix(rest, archiveMarketDirs[m]+"/"); ok {
			f.market, rest, found = m, r, true
			break
		}
	}
	parts := strings.Split(rest, "/")
	if !found || len(parts) != 5 || parts[1] != "klines" || (parts[0] != "monthly" && parts[0] != "daily") {
		return f, false
	}
	f.daily, f.symbol = parts[0] == "daily", parts[2]
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
	name := parts[4]
	if f.checksum = strings.HasSuffix(name, ".zip.CHECKSUM"); f.checksum {
		name = strings.TrimSuffix(name, ".CHECKSUM")
	}
	date, ok := strings.CutPrefix(strings.TrimSuffix(name, ".zip"), f.symbol+"-"+parts[3]+"-")
	layout := "2006-01"
	if f.daily {
		layout = "2006-01-02"
	}
	t, err := time.Parse(layout, date)
	if !ok || !strings.HasSuffix(name, ".zip") || err != nil || t.Format(layout) != date {
		return f, false
	}
	f.date = t
	f.zipPath = strings.TrimSuffix(p, ".CHECKSUM")
	return f, true
}

// bounds is the file's open-time range [start, end) in ms.
func (f archiveFile) bounds() (int64, int64) {
	if f.daily {
		return f.date.UnixMilli(), f.date.AddDate(0, 0, 1).UnixMilli()
	}
	return f.date.UnixMilli(), f.date.AddDate(0, 1, 0).UnixMilli()
}

// name is the zip's file name; the CSV inside has the same stem.
func (f archiveFile) name() string { return f.zipPath[strings.LastIndexByte(f.zipPath, '/')+1:] }

// published reports whether the file exists as of the data clock.
func (s *Server) published(f archiveFile) bool {
	listing, ok := s.cfg.symbols[f.market][f.symbol]
	_, end := f.bounds()
	if !ok || end <= f.iv.floor(listing.UnixMilli()) {
		return false
	}
	delay := s.cfg.archive.monthlyDelay
	if f.daily {
		delay = s.cfg.archive.dailyDelay
	}
	return !s.cfg.now().Before(time.UnixMilli(end).Add(delay))
}

// serveArchive answers one archive request, with any scripted archive fault.
func (s *Server) serveArchive(w http.ResponseWriter, r *http.Request) {
	if tf, ok := parseTradesArchivePath(r.URL.Path); ok {
		s.serveTradesArchive(w, r, tf) // trades_serve.go
		return
	}
	f, ok := parseArchivePath(r.URL.Path)
	if !ok || !s.published(f) {
		http.NotFound(w, r)
		return
	}
	fault, faulted := s.takeArchiveFault(f)
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
