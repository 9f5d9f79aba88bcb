package binancetest

import (
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// klinesQuery is a validated klines request.
type klinesQuery struct {
	symbol           string
	iv               interval
	start, end       int64
	hasStart, hasEnd bool
	limit            int
}

const defaultLimit = 500

// requestedLimit reads limit leniently; weight must be computed (and charged)
// even for requests that later fail validation, as Binance does.
func requestedLimit(q url.Values) int {
	n, err := strconv.Atoi(q.Get("limit"))
	if err != nil {
		return defaultLimit
	}
	return n
}

func parseMillis(q url.Values, name string) (int64, bool, *apiError) {
	v := q.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, errIllegalChars(name)
	}
	return n, true, nil
}

// parseKlines validates parameters in roughly Binance's order: mandatory
// ones, syntax, limit range, then symbol, interval and time-range rules.
func (s *Server) parseKlines(m Market, q url.Values) (*klinesQuery, *apiError) {
	spec := specs[m]
	kq := &klinesQuery{symbol: q.Get("symbol"), limit: defaultLimit}
	if kq.symbol == "" {
		return nil, errMandatory("symbol")
	}
	ivName := q.Get("interval")
	if ivName == "" {
		return nil, errMandatory("interval")
	}
	var e *apiError
	if kq.start, kq.hasStart, e = parseMillis(q, "startTime"); e != nil {
		return nil, e
	}
	if kq.end, kq.hasEnd, e = parseMillis(q, "endTime"); e != nil {
		return nil, e
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errIllegalChars("limit")
		}
		if n < 1 || n > spec.maxLimit {
			return nil, &apiError{http.StatusBadRequest, -1130, "Data sent for parameter 'limit' is not valid."}
		}
		kq.limit = n
	}
	if _, ok := s.cfg.symbols[m][kq.symbol]; !ok {
		return nil, errInvalidSymbol
	}
	iv, ok := lookupInterval(spec, ivName)
	if !ok {
		return nil, &apiError{http.StatusBadRequest, -1120, "Invalid interval."}
	}
	kq.iv = iv
	if kq.hasStart && kq.hasEnd {
		if kq.start > kq.end {
			return nil, &apiError{http.StatusBadRequest, -1127, "Start time is greater than end time."}
		}
		if spec.maxSpanMs > 0 && kq.end-kq.start > spec.maxSpanMs {
			return nil, &apiError{http.StatusBadRequest, -1127, "More than 200 days between startTime and endTime."}
		}
	}
	return kq, nil
}

// series builds the generator for a configured symbol.
func (s *Server) series(m Market, symbol string, iv interval) *series {
	listing := s.cfg.symbols[m][symbol]
	g := newSeries(m, symbol, iv, listing.UnixMilli(), s.cfg.gaps[m][symbol])
	g.tg = s.tradeGen(m, symbol, g)
	return g
}

// bufPool recycles response buffers; a 1500-candle page is ~300 KB.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func (s *Server) serveKlines(w http.ResponseWriter, r *http.Request, m Market) {
	kq, aerr := s.parseKlines(m, r.URL.Query())
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	nowMs := s.cfg.now().UnixMilli()
	g := s.series(m, kq.symbol, kq.iv)
	bp := bufPool.Get().(*[]byte)
	buf := append((*bp)[:0], '[')
	for i, open := range g.selectOpens(kq, nowMs) {
		if i > 0 {
			buf = append(buf, ',')
		}
		k := g.candleAt(open, nowMs)
		buf = appendCandle(buf, &k)
	}
	buf = append(buf, ']')
	writeJSON(w, http.StatusOK, buf)
	*bp = buf
	bufPool.Put(bp)
}

// Klines returns the closed candles the fake serves for m/symbol/interval
// with open time in [start, end) and close time before the data clock's now.
// It returns nil for an unknown market, symbol or interval. Use it as the
// expected value in assertions; candles are generated on demand, so keep
// ranges modest (a year of 1m candles is ~0.5M values).
func (s *Server) Klines(m Market, symbol, interval string, start, end time.Time) []Kline {
	spec, ok := specs[m]
	if !ok {
		return nil
	}
	if _, ok := s.cfg.symbols[m][symbol]; !ok {
		return nil
	}
	iv, ok := lookupInterval(spec, interval)
	if !ok {
		return nil
	}
	nowMs := s.cfg.now().UnixMilli()
	g := s.series(m, symbol, iv)
	opens := g.forward(start.UnixMilli(), min(end.UnixMilli()-1, nowMs), -1, nil)
	out := make([]Kline, 0, len(opens))
	for _, open := range opens {
		if g.iv.next(open)-1 >= nowMs {
			break // still open: clients must not store it
		}
		k := g.closed(open)
		out = append(out, k.kline())
	}
	return out
}
