package binancetest

import (
	"strings"
	"time"
)

// archivePeriod is what every archive path names, klines or trades: a
// market's symbol, a day or a month, and the zip or its CHECKSUM.
type archivePeriod struct {
	market   Market
	symbol   string
	daily    bool
	date     time.Time // 00:00 UTC of the day or of the 1st of the month
	checksum bool      // the .CHECKSUM, not the zip
	zipPath  string    // the zip's path (the fault key)
}

// periodLayout is the directory and date layout of daily or monthly files.
func periodLayout(daily bool) (freq, layout string) {
	if daily {
		return "daily", "2006-01-02"
	}
	return "monthly", "2006-01"
}

// splitArchivePath cuts archivePrefix and a market's directory off p and
// splits the rest at its slashes.
func splitArchivePath(p string) (m Market, parts []string, ok bool) {
	rest, ok := strings.CutPrefix(p, archivePrefix)
	if !ok {
		return m, nil, false
	}
	for _, m := range markets {
		if r, ok := strings.CutPrefix(rest, archiveMarketDirs[m]+"/"); ok {
			return m, strings.Split(r, "/"), true
		}
	}
	return m, nil, false
}

// parseName reads the file name of p, "{stem}-{date}.zip" or the same
// with ".CHECKSUM", into f's date, checksum and zipPath; f.daily says
// which date layout the name must have.
func (f *archivePeriod) parseName(p, name, stem string) bool {
	if f.checksum = strings.HasSuffix(name, ".zip.CHECKSUM"); f.checksum {
		name = strings.TrimSuffix(name, ".CHECKSUM")
	}
	date, ok := strings.CutPrefix(strings.TrimSuffix(name, ".zip"), stem+"-")
	_, layout := periodLayout(f.daily)
	t, err := time.Parse(layout, date)
	if !ok || !strings.HasSuffix(name, ".zip") || err != nil || t.Format(layout) != date {
		return false
	}
	f.date, f.zipPath = t, strings.TrimSuffix(p, ".CHECKSUM")
	return true
}

// bounds is the file's time range [start, end) in ms.
func (f archivePeriod) bounds() (int64, int64) {
	if f.daily {
		return f.date.UnixMilli(), f.date.AddDate(0, 0, 1).UnixMilli()
	}
	return f.date.UnixMilli(), f.date.AddDate(0, 1, 0).UnixMilli()
}

// name is the zip's file name; the CSV inside has the same stem.
func (f archivePeriod) name() string { return f.zipPath[strings.LastIndexByte(f.zipPath, '/')+1:] }

// publishedBy reports whether a file whose period ends at end (ms) is out
// by the data clock, after the daily or monthly publish delay.
func (s *Server) publishedBy(daily bool, end int64) bool {
	delay := s.cfg.archive.monthlyDelay
	if daily {
		delay = s.cfg.archive.dailyDelay
	}
	return !s.cfg.now().Before(time.UnixMilli(end).Add(delay))
}
