package binancetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The exchangeInfo subset a kline downloader needs: rate limits (to pace
// itself) and the symbol list (to validate input and find listing dates).

type rateLimit struct {
	RateLimitType string `json:"rateLimitType"`
	Interval      string `json:"interval"`
	IntervalNum   int    `json:"intervalNum"`
	Limit         int    `json:"limit"`
}

type symbolInfo struct {
	Symbol         string `json:"symbol"`
	Pair           string `json:"pair,omitempty"`
	ContractType   string `json:"contractType,omitempty"`
	Status         string `json:"status"`
	ContractStatus string `json:"contractStatus,omitempty"` // COIN-M's name for status
	BaseAsset      string `json:"baseAsset"`
	QuoteAsset     string `json:"quoteAsset"`
	MarginAsset    string `json:"marginAsset,omitempty"`
	OnboardDate    int64  `json:"onboardDate,omitempty"` // futures: listing time, ms
}

type exchangeInfo struct {
	Timezone        string       `json:"timezone"`
	ServerTime      int64        `json:"serverTime"`
	RateLimits      []rateLimit  `json:"rateLimits"`
	ExchangeFilters []any        `json:"exchangeFilters"`
	Symbols         []symbolInfo `json:"symbols"`
}

// windowInterval expresses the weight window in Binance's rateLimits terms.
// Sub-second windows cannot be expressed; they are reported as SECOND 1,
// which errs on the side of a client pacing itself too slowly.
func windowInterval(d time.Duration) (string, int) {
	switch {
	case d%time.Minute == 0:
		return "MINUTE", int(d / time.Minute)
	case d%time.Second == 0:
		return "SECOND", int(d / time.Second)
	}
	return "SECOND", 1
}

func (s *Server) rateLimits(m Market) []rateLimit {
	name, num := windowInterval(s.cfg.window)
	rl := []rateLimit{{"REQUEST_WEIGHT", name, num, s.cfg.limits[m]}}
	if m == Spot {
		rl = append(rl, rateLimit{"ORDERS", "SECOND", 10, 100}, rateLimit{"ORDERS", "DAY", 1, 200000})
	} else {
		rl = append(rl, rateLimit{"ORDERS", "MINUTE", 1, 1200}, rateLimit{"ORDERS", "SECOND", 10, 300})
	}
	return append(rl, rateLimit{"RAW_REQUESTS", "MINUTE", 5, 61000})
}

func (s *Server) symbolInfo(m Market, sym string) symbolInfo {
	base, quote := splitSymbol(m, sym)
	si := symbolInfo{Symbol: sym, Status: "TRADING", BaseAsset: base, QuoteAsset: quote}
	if m == Spot {
		return si
	}
	si.Pair, si.ContractType = base+quote, "PERPETUAL"
	si.OnboardDate = s.cfg.symbols[m][sym].UnixMilli()
	si.MarginAsset = quote
	if m == COINM {
		si.ContractStatus, si.MarginAsset = "TRADING", base
	}
	return si
}

// wantedSymbols applies spot's ?symbol= / ?symbols=["A","B"] filters.
func (s *Server) wantedSymbols(m Market, r *http.Request) ([]string, *apiError) {
	q := r.URL.Query()
	var want []string
	switch {
	case m == Spot && q.Get("symbol") != "":
		want = []string{q.Get("symbol")}
	case m == Spot && q.Get("symbols") != "":
		if err := json.Unmarshal([]byte(q.Get("symbols")), &want); err != nil || len(want) == 0 {
			return nil, &apiError{http.StatusBadRequest, -1100, "Illegal characters found in parameter 'symbols'."}
		}
	default:
		for sym := range s.cfg.symbols[m] {
			want = append(want, sym)
		}
		slices.Sort(want) // deterministic output
		return want, nil
	}
	for _, sym := range want {
		if _, ok := s.cfg.symbols[m][sym]; !ok {
			return nil, errInvalidSymbol
		}
	}
	return want, nil
}

func (s *Server) serveExchangeInfo(w http.ResponseWriter, r *http.Request, m Market) {
	want, aerr := s.wantedSymbols(m, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	info := exchangeInfo{
		Timezone: "UTC", ServerTime: s.cfg.now().UnixMilli(),
		RateLimits: s.rateLimits(m), ExchangeFilters: []any{},
		Symbols: make([]symbolInfo, 0, len(want)),
	}
	for _, sym := range want {
		info.Symbols = append(info.Symbols, s.symbolInfo(m, sym))
	}
	body, _ := json.Marshal(info)
	writeJSON(w, http.StatusOK, body)
}

// serveTime reports the data clock, so a client syncing to serverTime sees
// the same "now" that decides which candle is open.
func (s *Server) serveTime(w http.ResponseWriter) {
	b := strconv.AppendInt([]byte(`{"serverTime":`), s.cfg.now().UnixMilli(), 10)
	writeJSON(w, http.StatusOK, append(b, '}'))
}
