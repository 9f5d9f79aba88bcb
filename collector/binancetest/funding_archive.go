package binancetest

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// fundingFile is a parsed fundingRate archive path (monthly only).
type fundingFile struct{ archivePeriod }

// FundingArchivePath is the URL path of the fundingRate zip of m/symbol
// for the month containing date.
func FundingArchivePath(m Market, symbol string, date time.Time) string {
	return fmt.Sprintf("%s%s/monthly/fundingRate/%s/%s-fundingRate-%s.zip", archivePrefix, archiveMarketDirs[m], symbol, symbol, date.UTC().Format("2006-01"))
}

// parseFundingArchivePath accepts exactly FundingArchivePath's layout (and
// its .CHECKSUM).
func parseFundingArchivePath(p string) (fundingFile, bool) {
	var f fundingFile
	m, parts, ok := splitArchivePath(p)
	if !ok || m == Spot || len(parts) != 4 || parts[0] != "monthly" || parts[1] != "fundingRate" {
		return f, false
	}
	f.market, f.symbol = m, parts[2]
	return f, f.parseName(p, parts[3], f.symbol+"-fundingRate")
}

// fundingCSVHeader is the header row of Binance's fundingRate CSVs.
const fundingCSVHeader = "calc_time,funding_interval_hours,last_funding_rate\n"

// serveFundingArchive answers a fundingRate zip or CHECKSUM: it exists once
// its month has ended (plus the monthly publish delay) for a symbol with
// funding, from its listing on; scripted faults apply as to kline files.
func (s *Server) serveFundingArchive(w http.ResponseWriter, r *http.Request, f fundingFile) {
	first, ok := s.hasFunding(f.market, f.symbol)
	start, end := f.bounds()
	if !ok || end <= first || !s.publishedBy(false, end) {
		http.NotFound(w, r)
		return
	}
	fault, faulted := s.takeArchiveFault(f.archivePeriod)
	if faulted && fault == ArchiveMissing {
		http.NotFound(w, r)
		return
	}
	variant := "ok"
	if faulted && (fault == ArchiveCorruptZip || fault == ArchiveCorruptRow) {
		variant = strconv.Itoa(int(fault))
	}
	zipped, err := s.zips.get(f.zipPath+"#"+variant, func() ([]byte, error) {
		return s.buildFundingZip(f, start, end, faulted && fault == ArchiveCorruptRow)
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if faulted && fault == ArchiveCorruptZip {
		zipped = corrupt(zipped) // and the CHECKSUM matches the damaged bytes
	}
	body := zipped
	switch {
	case f.checksum:
		sum := sha256.Sum256(zipped)
		if faulted && fault == ArchiveBadChecksum {
			sum = sha256.Sum256([]byte("not this zip"))
		}
		body = fmt.Appendf(nil, "%x  %s\n", sum, f.name())
		w.Header().Set("Content-Type", "text/plain")
	case faulted && fault == ArchiveTruncatedZip:
		body = zipped[:len(zipped)/2]
		w.Header().Set("Content-Type", "application/zip")
	default:
		w.Header().Set("Content-Type", "application/zip")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// buildFundingZip renders the month's settlements as Binance's CSV in a
// zip; badRow replaces the middle row with an unparsable one.
func (s *Server) buildFundingZip(f fundingFile, start, end int64, badRow bool) ([]byte, error) {
	var csv bytes.Buffer
	csv.WriteString(fundingCSVHeader)
	slots := s.fundingSlots(f.market, f.symbol, start, end)
	for i, slot := range slots {
		fr := fundingAt(f.market, f.symbol, slot)
		if badRow && i == len(slots)/2 {
			csv.WriteString("17x,eight,oops\n")
			continue
		}
		fmt.Fprintf(&csv, "%d,%d,%s\n", fr.Time, fr.IntervalHours, fr.Rate)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: strings.TrimSuffix(f.name(), ".zip") + ".csv", Method: zip.Deflate, Modified: time.UnixMilli(end).UTC()})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(csv.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
