package binancetest

import (
	"fmt"
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
	archivePeriod
	agg bool // aggTrades, not trades
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
	freq, layout := periodLayout(daily)
	kind := tradesKind(agg)
	return fmt.Sprintf("%s%s/%s/%s/%s/%s-%s-%s.zip", archivePrefix, archiveMarketDirs[m], freq, kind, symbol, symbol, kind, date.UTC().Format(layout))
}

// parseTradesArchivePath accepts exactly the layout above.
func parseTradesArchivePath(p string) (tradeFile, bool) {
	var f tradeFile
	m, parts, ok := splitArchivePath(p)
	if !ok || len(parts) != 4 || (parts[0] != "monthly" && parts[0] != "daily") || (parts[1] != "trades" && parts[1] != "aggTrades") {
		return f, false
	}
	f.market, f.daily, f.agg, f.symbol = m, parts[0] == "daily", parts[1] == "aggTrades", parts[2]
	return f, f.parseName(p, parts[3], f.symbol+"-"+parts[1])
}

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
	return s.publishedBy(f.daily, end)
}
