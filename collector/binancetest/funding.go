package binancetest

import (
	"net/http"
	"strconv"
	"time"
)

// Funding rates of perpetual futures, as Binance serves them:
//
//	GET /fapi/v1/fundingRate, /dapi/v1/fundingRate   symbol, startTime, endTime, limit (default 100, max 1000)
//	/data/futures/{um|cm}/monthly/fundingRate/SYM/SYM-fundingRate-YYYY-MM.zip (+ .CHECKSUM)
//
// Every listed usdm symbol and every coinm perpetual (SYM_PERP) settles
// every 8 hours (00:00, 08:00, 16:00 UTC) from its listing on; delivery
// contracts have none (REST answers [], the archive 404). Binance stamps a
// settlement a few milliseconds after the hour: the fake adds 0-3 ms,
// deterministically. Rates and mark prices are deterministic per symbol
// and settlement. REST rows carry markPrice, archive rows
// funding_interval_hours; the archive CSV has the header row
// calc_time,funding_interval_hours,last_funding_rate. With startTime the
// oldest settlements from there are returned, otherwise the newest up to
// endTime (or now); a settlement exists once its time has passed on the
// data clock. The fake requires symbol (Binance lists all symbols
// without it). Weight 1; Binance's own 500 requests / 5 min limit of the
// path is not enforced.

// FundingHours is the fake's funding interval.
const FundingHours = 8

const (
	fundingMs           = FundingHours * 3600 * 1000
	maxFundingLimit     = 1000
	defaultFundingLimit = 100
)

// FundingRate is one settlement as Binance sends it.
type FundingRate struct {
	Time          int64  // fundingTime / calc_time, ms (a few ms after the hour)
	Rate          string // 8 decimals, may be negative
	MarkPrice     string // REST only
	IntervalHours int    // archive only
}

// hasFunding reports whether m/symbol settles funding, and from when (ms).
func (s *Server) hasFunding(m Market, symbol string) (int64, bool) {
	listing, ok := s.cfg.symbols[m][symbol]
	if !ok || m == Spot || m == COINM && !hasSuffix(symbol, "_PERP") {
		return 0, false
	}
	return ceilDiv(listing.UnixMilli(), fundingMs) * fundingMs, true
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// fundingAt is the settlement of the slot starting at hour (ms, on the
// 8-hour grid).
func fundingAt(m Market, symbol string, slot int64) FundingRate {
	h := splitmix64(hashString(symbol) ^ specs[m].seed ^ uint64(slot))
	rate := int64(h%4001) - 1000 + 10000 // 1e-8 units: -0.0001 .. 0.0003, mostly positive
	mark := int64(1e11) + int64(h>>20%uint64(4e12))
	return FundingRate{
		Time:          slot + int64(slot/fundingMs%4),
		Rate:          string(appendFixed(nil, rate)),
		MarkPrice:     string(appendFixed(nil, mark)),
		IntervalHours: FundingHours,
	}
}

// fundingSlots lists the settlement slots in [from, to) (ms) that exist
// by now.
func (s *Server) fundingSlots(m Market, symbol string, from, to int64) []int64 {
	first, ok := s.hasFunding(m, symbol)
	if !ok {
		return nil
	}
	to = min(to, s.cfg.now().UnixMilli()-3) // stamped up to 3 ms late
	var out []int64
	for slot := max(ceilDiv(from, fundingMs)*fundingMs, first); slot < to; slot += fundingMs {
		out = append(out, slot)
	}
	return out
}

// FundingRates returns the settlements of m/symbol whose slot lies in
// [from, to) and that exist by the data clock, oldest first, as REST
// sends them plus the archive's interval.
func (s *Server) FundingRates(m Market, symbol string, from, to time.Time) []FundingRate {
	var out []FundingRate
	for _, slot := range s.fundingSlots(m, symbol, from.UnixMilli(), to.UnixMilli()) {
		out = append(out, fundingAt(m, symbol, slot))
	}
	return out
}

func (s *Server) serveFundingRate(w http.ResponseWriter, r *http.Request, m Market) {
	q := r.URL.Query()
	symbol := q.Get("symbol")
	if symbol == "" {
		writeError(w, errMandatory("symbol"))
		return
	}
	start, hasStart, e := parseMillis(q, "startTime")
	if e != nil {
		writeError(w, e)
		return
	}
	end, hasEnd, e := parseMillis(q, "endTime")
	if e != nil {
		writeError(w, e)
		return
	}
	limit := defaultFundingLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, errIllegalChars("limit"))
			return
		}
		if n < 1 || n > maxFundingLimit {
			writeError(w, &apiError{http.StatusBadRequest, -1130, "Data sent for parameter 'limit' is not valid."})
			return
		}
		limit = n
	}
	if _, ok := s.cfg.symbols[m][symbol]; !ok {
		writeError(w, errInvalidSymbol)
		return
	}
	hi := int64(1) << 62
	if hasEnd {
		hi = end + 1
	}
	// Times select by the settlement's stamped time (fundingTime).
	slots := s.fundingSlots(m, symbol, 0, hi)
	var sel []FundingRate
	for _, slot := range slots {
		fr := fundingAt(m, symbol, slot)
		if (!hasStart || fr.Time >= start) && fr.Time < hi {
			sel = append(sel, fr)
		}
	}
	if hasStart {
		sel = sel[:min(limit, len(sel))]
	} else {
		sel = sel[max(0, len(sel)-limit):]
	}
	b := append(make([]byte, 0, 96*len(sel)+2), '[')
	for i, fr := range sel {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"symbol":"`...)
		b = append(b, symbol...)
		b = append(b, `","fundingTime":`...)
		b = strconv.AppendInt(b, fr.Time, 10)
		b = append(b, `,"fundingRate":"`...)
		b = append(b, fr.Rate...)
		b = append(b, `","markPrice":"`...)
		b = append(b, fr.MarkPrice...)
		b = append(b, `"}`...)
	}
	writeJSON(w, http.StatusOK, append(b, ']'))
}
