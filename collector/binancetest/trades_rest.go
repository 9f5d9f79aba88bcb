package binancetest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// REST trade endpoints, as Binance documents them:
//
//	GET /api/v3/historicalTrades  symbol, limit (default 500, max 1000), fromId   weight 25
//	GET /api/v3/aggTrades         symbol, fromId | startTime, endTime, limit      weight 4
//	GET /fapi/v1/aggTrades, /dapi/v1/aggTrades (same parameters)                  weight 20
//
// Without fromId/startTime/endTime the most recent rows are returned. If
// both startTime and endTime are sent they must be less than one hour apart
// (-1127). Spot sends times in ms, or in µs when the request carries
// "X-MBX-TIME-UNIT: MICROSECOND", and accepts startTime/endTime in either
// unit (told apart by magnitude); futures use ms and serve aggregates of
// the last year only (WithFuturesAggTradesRetention). Only trades that
// have happened by the data clock exist. A listed symbol without trades
// (see WithTrades) answers [].

const (
	historicalTradesWeight = 25
	spotAggTradesWeight    = 4
	futuresAggTradesWeight = 20
	maxTradesLimit         = 1000
	hourUs                 = int64(3600e6)
)

// tradesQuery is a validated trades or aggTrades request; times in µs.
type tradesQuery struct {
	symbol           string
	limit            int
	fromID           int64
	start, end       int64
	hasFrom          bool
	hasStart, hasEnd bool
	micros           bool // answer times in µs
}

func (s *Server) parseTrades(m Market, r *http.Request, withTimes bool) (*tradesQuery, *apiError) {
	q := r.URL.Query()
	tq := &tradesQuery{symbol: q.Get("symbol"), limit: defaultLimit}
	if tq.symbol == "" {
		return nil, errMandatory("symbol")
	}
	var e *apiError
	if tq.fromID, tq.hasFrom, e = parseMillis(q, "fromId"); e != nil {
		return nil, e
	}
	if withTimes {
		if tq.start, tq.hasStart, e = parseTime(m, q, "startTime"); e != nil {
			return nil, e
		}
		if tq.end, tq.hasEnd, e = parseTime(m, q, "endTime"); e != nil {
			return nil, e
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errIllegalChars("limit")
		}
		if n < 1 || n > maxTradesLimit {
			return nil, &apiError{http.StatusBadRequest, -1130, "Data sent for parameter 'limit' is not valid."}
		}
		tq.limit = n
	}
	if _, ok := s.cfg.symbols[m][tq.symbol]; !ok {
		return nil, errInvalidSymbol
	}
	if tq.hasStart && tq.hasEnd {
		if tq.start > tq.end {
			return nil, &apiError{http.StatusBadRequest, -1127, "Start time is greater than end time."}
		}
		if tq.end-tq.start >= hourUs {
			return nil, &apiError{http.StatusBadRequest, -1127, "More than 1 hours between startTime and endTime."}
		}
	}
	tq.micros = m == Spot && strings.EqualFold(r.Header.Get("X-MBX-TIME-UNIT"), "MICROSECOND")
	return tq, nil
}

// parseTime reads a time parameter into µs. Spot takes ms or µs (a value
// of 1e14 or more is µs: that is year 5138 in ms); futures take ms.
func parseTime(m Market, q url.Values, name string) (int64, bool, *apiError) {
	v, ok, e := parseMillis(q, name)
	if e != nil || !ok {
		return 0, ok, e
	}
	if m == Spot && v >= 1e14 {
		return v, true, nil
	}
	return v * 1000, true, nil
}

// outTime converts a µs trade time to the unit of the response.
func (tq *tradesQuery) outTime(us int64) int64 {
	if tq.micros {
		return us
	}
	return floorDiv(us, 1000)
}

func (s *Server) serveHistoricalTrades(w http.ResponseWriter, r *http.Request, m Market) {
	tq, aerr := s.parseTrades(m, r, false)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	g := s.tradeGen(m, tq.symbol, nil)
	if g == nil {
		writeJSON(w, http.StatusOK, []byte("[]"))
		return
	}
	nowUs := s.cfg.now().UnixMicro()
	nowMin := floorDiv(nowUs, 6e7)
	var rows []trade
	if tq.hasFrom {
		rows = walkForward(g.minute, g.minuteOf(tq.fromID, false, nowMin), nowMin, tq.limit, func(t *trade) int {
			switch {
			case t.time > nowUs:
				return 1
			case t.id < tq.fromID:
				return -1
			}
			return 0
		})
	} else {
		rows = walkBackward(g.minute, g.listMin, nowMin, tq.limit, func(t *trade) int {
			if t.time > nowUs {
				return -1
			}
			return 0
		})
	}
	buf := append(make([]byte, 0, 128*len(rows)+2), '[')
	for i := range rows {
		t := &rows[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(append(buf, `{"id":`...), t.id, 10)
		buf = append(g.appendPrice(append(buf, `,"price":"`...), t.price), '"')
		buf = append(g.appendQty(append(buf, `,"qty":"`...), t.qty), '"')
		buf = append(g.appendQuote(append(buf, `,"quoteQty":"`...), t.quote), '"')
		buf = strconv.AppendInt(append(buf, `,"time":`...), tq.outTime(t.time), 10)
		buf = strconv.AppendBool(append(buf, `,"isBuyerMaker":`...), t.buyerMaker)
		buf = append(buf, `,"isBestMatch":true}`...)
	}
	writeJSON(w, http.StatusOK, append(buf, ']'))
}

func (s *Server) serveAggTrades(w http.ResponseWriter, r *http.Request, m Market) {
	tq, aerr := s.parseTrades(m, r, true)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	g := s.tradeGen(m, tq.symbol, nil)
	if g == nil {
		writeJSON(w, http.StatusOK, []byte("[]"))
		return
	}
	now := s.cfg.now()
	nowUs := now.UnixMicro()
	hiUs := nowUs
	if tq.hasEnd {
		hiUs = min(hiUs, tq.end)
	}
	loUs := int64(-1 << 62)
	if tq.hasStart {
		loUs = tq.start
	}
	if m != Spot { // futures serve the last year (or the configured retention) only
		loUs = max(loUs, now.Add(-s.cfg.trades.retention).UnixMicro())
	}
	hiMin := floorDiv(hiUs, 6e7)
	aggsOf := func(mi int64) []aggTrade { return aggregate(g.minute(mi), nil) }
	keep := func(a *aggTrade) int {
		switch {
		case a.time > hiUs:
			return 1
		case a.time < loUs || (tq.hasFrom && a.id < tq.fromID):
			return -1
		}
		return 0
	}
	var rows []aggTrade
	switch {
	case tq.hasFrom || tq.hasStart:
		m0 := max(floorDiv(loUs, 6e7), g.listMin)
		if tq.hasFrom {
			m0 = max(m0, g.minuteOf(tq.fromID, true, hiMin))
		}
		rows = walkForward(aggsOf, m0, hiMin, tq.limit, keep)
	default: // the most recent, up to endTime if given
		rows = walkBackward(aggsOf, max(g.listMin, floorDiv(loUs, 6e7)), hiMin, tq.limit, func(a *aggTrade) int {
			if keep(a) != 0 {
				return -1 // walking backwards, "too late" is just "skip"
			}
			return 0
		})
	}
	buf := append(make([]byte, 0, 128*len(rows)+2), '[')
	for i := range rows {
		a := &rows[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(append(buf, `{"a":`...), a.id, 10)
		buf = append(g.appendPrice(append(buf, `,"p":"`...), a.price), '"')
		buf = append(g.appendQty(append(buf, `,"q":"`...), a.qty), '"')
		buf = strconv.AppendInt(append(buf, `,"f":`...), a.first, 10)
		buf = strconv.AppendInt(append(buf, `,"l":`...), a.last, 10)
		buf = strconv.AppendInt(append(buf, `,"T":`...), tq.outTime(a.time), 10)
		buf = strconv.AppendBool(append(buf, `,"m":`...), a.buyerMaker)
		if m == Spot {
			buf = append(buf, `,"M":true`...)
		}
		buf = append(buf, '}')
	}
	writeJSON(w, http.StatusOK, append(buf, ']'))
}
