package binancetest

import (
	"fmt"
	"strings"
	"time"
)

// The trades archive, as on data.binance.vision:
//
//	/data/{spot|futures/um|futures/cm}/{daily|monthly}/{trades|aggTrades}/SYM/SYM-{trades|aggTrades}-{YYYY-MM-DD|YYYY-MM}.zip
//	... and the same path + ".CHECKSUM"
//
// Files exist for symbols with trades (WithTrades) once their day or month
// has ended (plus WithArchivePublishDelay), from the listing on; anything
// else is 404. The CSV columns, in Binance's order:
//
//	spot trades      id,price,qty,quote_qty,time,is_buyer_maker,is_best_match   no header, True/False
//	spot aggTrades   agg_trade_id,price,qty,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match
//	                 (no header, True/False)
//	usdm trades      id,price,qty,quote_qty,time,is_buyer_maker                  header from 2022-08-11, true/false
//	coinm trades     id,price,qty,base_qty,time,is_buyer_maker                   header from 2022-08-11, true/false
//	futures aggTrades agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker
//	                 (header from 2022-08-11, true/false)
//
// Spot times are µs in files dated 2025-01-01 or later, ms before; futures
// are always ms. Zips are generated while they are sent (flat memory, any
// size) and support Range requests; see serveTradesArchive.

// tradeFile is a parsed trades archive path.
type tradeFile struct {
	market   Market
	symbol   string
	agg      bool // aggTrades, not trades
	daily    bool
	date     time.Time
	checksum bool
	zipPath  string
}

func tradesKind(agg bool) string {
	if agg {
		return "aggTrades"
	}
	return "trades"
}

// TradesArchivePath is the URL path of the trades (agg: aggTrades) zip of
// m/symbol for the month (or day, if daily) containing date.
func TradesArchivePath(m Market, symbol string, agg, daily bool, date time.Time) string {
	freq, layout := "monthly", "2006-01"
	if daily {
		freq, layout = "daily", "2006-01-02"
	}
	kind := tradesKind(agg)
	return fmt.Sprintf("%s%s/%s/%s/%s/%s-%s-%s.zip", archivePrefix, archiveMarketDirs[m], freq, kind, symbol, symbol, kind, date.UTC().Format(layout))
}

// parseTradesArchivePath accepts exactly the layout above.
func parseTradesArchivePath(p string) (tradeFile, bool) {
	var f tradeFile
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
	if !found || len(parts) != 4 || (parts[0] != "monthly" && parts[0] != "daily") || (parts[1] != "trades" && parts[1] != "aggTrades") {
		return f, false
	}
	f.daily, f.agg, f.symbol = parts[0] == "daily", parts[1] == "aggTrades", parts[2]
	name := parts[3]
	if f.checksum = strings.HasSuffix(name, ".zip.CHECKSUM"); f.checksum {
		name = strings.TrimSuffix(name, ".CHECKSUM")
	}
	date, ok := strings.CutPrefix(strings.TrimSuffix(name, ".zip"), f.symbol+"-"+parts[1]+"-")
	layout := "2006-01"
	if f.daily {
		layout = "2006-01-02"
	}
	t, err := time.Parse(layout, date)
	if !ok || !strings.HasSuffix(name, ".zip") || err != nil || t.Format(layout) != date {
		return f, false
	}
	f.date, f.zipPath = t, strings.TrimSuffix(p, ".CHECKSUM")
	return f, true
}

// bounds is the file's time range [start, end) in ms.
func (f tradeFile) bounds() (int64, int64) {
	if f.daily {
		return f.date.UnixMilli(), f.date.AddDate(0, 0, 1).UnixMilli()
	}
	return f.date.UnixMilli(), f.date.AddDate(0, 1, 0).UnixMilli()
}

func (f tradeFile) name() string { return f.zipPath[strings.LastIndexByte(f.zipPath, '/')+1:] }

// micros: spot files dated 2025-01-01 or later carry µs times.
func (f tradeFile) micros() bool { return f.market == Spot && !f.date.Before(spotMicrosFrom) }

// header returns the CSV header row, "" where Binance writes none.
func (f tradeFile) header(headerFrom time.Time) string {
	switch {
	case f.market == Spot || f.date.Before(headerFrom):
		return ""
	case f.agg:
		return "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n"
	case f.market == COINM:
		return "id,price,qty,base_qty,time,is_buyer_maker\n"
	}
	return "id,price,qty,quote_qty,time,is_buyer_maker\n"
}

// tradesPublished reports whether f exists as of the data clock.
func (s *Server) tradesPublished(f tradeFile, g *tradeGen) bool {
	start, end := f.bounds()
	if g == nil || end <= g.listMin*minuteMs || start < 0 {
		return false
	}
	delay := s.cfg.archive.monthlyDelay
	if f.daily {
		delay = s.cfg.archive.dailyDelay
	}
	return !s.cfg.now().Before(time.UnixMilli(end).Add(delay))
}
