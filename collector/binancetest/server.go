package binancetest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Server is a running fake Binance. All markets share one base URL; they
// differ by path prefix (/api/v3, /fapi/v1, /dapi/v1) as on Binance.
type Server struct {
	cfg         config
	ts          *httptest.Server
	startWindow int64 // weight window id at New, index 0 of WeightPerWindow

	mu      sync.Mutex // guards everything below; data generation runs unlocked
	faults  []injected
	weights map[Market]*weightState
	stats   Stats

	archive zipScript[ArchiveFault] // scripted archive faults
	zips    zipCache                // recently built archive zips
	gates   []*Gate                 // Hold: requests parked until released

	cuts      zipScript[float64] // scripted cuts of trades archive downloads (fraction of the file)
	tradeZips zipInfoCache       // sizes and digests of generated trades zips
	zipLog    zipDownloadLog     // trades zip GETs: ranges asked, cuts made
}

// endpoint is one kind of REST call.
type endpoint int

const (
	epKlines endpoint = iota
	epExchangeInfo
	epPing
	epTime
	epHistoricalTrades
	epAggTrades
	epFundingRate
)

type route struct {
	market Market
	ep     endpoint
}

// routes maps every served path to its market and endpoint.
var routes = func() map[string]route {
	r := map[string]route{}
	for _, m := range markets {
		p := specs[m].prefix
		r[p+"/klines"] = route{m, epKlines}
		r[p+"/exchangeInfo"] = route{m, epExchangeInfo}
		r[p+"/ping"] = route{m, epPing}
		r[p+"/time"] = route{m, epTime}
		r[p+"/aggTrades"] = route{m, epAggTrades}
	}
	r[specs[Spot].prefix+"/historicalTrades"] = route{Spot, epHistoricalTrades}
	for _, m := range []Market{USDM, COINM} {
		r[specs[m].prefix+"/fundingRate"] = route{m, epFundingRate}
	}
	return r
}()

// New builds the fake and starts it on a loopback port (httptest.NewServer).
func New(opts ...Option) *Server {
	s := &Server{cfg: defaultConfig(), weights: map[Market]*weightState{}}
	for _, o := range opts {
		o(&s.cfg)
	}
	s.zips.size = s.cfg.zipCache
	s.startWindow = s.cfg.wall().UnixNano() / int64(s.cfg.window)
	for _, m := range markets {
		s.weights[m] = &weightState{limit: s.cfg.limits[m], windowID: s.startWindow}
	}
	s.stats = Stats{
		Requests:        map[string]int{},
		Status:          map[int]int{},
		WeightPerWindow: map[Market][]int{},
	}
	s.ts = httptest.NewServer(s.Handler())
	return s
}

// URL is the base URL, e.g. http://127.0.0.1:1234, without a trailing slash.
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the listener down and waits for outstanding requests.
func (s *Server) Close() { s.ts.Close() }

// Handler serves the fake API; use it to expose the same state (faults,
// weights, stats) on another listener.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

func (s *Server) weightOf(rt route, r *http.Request) int {
	switch rt.ep {
	case epKlines:
		return specs[rt.market].klinesWeight(requestedLimit(r.URL.Query()))
	case epExchangeInfo:
		return specs[rt.market].infoWeight
	case epHistoricalTrades:
		return historicalTradesWeight
	case epAggTrades:
		if rt.market == Spot {
			return spotAggTradesWeight
		}
		return futuresAggTradesWeight
	}
	return 1
}

// serve is the request pipeline: count, scripted fault, weight gate, endpoint.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == debugStatsPath {
		s.serveDebugStats(w, r) // read-only, outside the pipeline
		return
	}
	// The exchange's clock, as Binance's responses carry it (whole seconds).
	w.Header().Set("Date", s.cfg.now().UTC().Format(http.TimeFormat))
	sw := &statusWriter{ResponseWriter: w, srv: s}
	defer sw.finish()
	if !s.passGates(r) {
		sw.dropped() // the client left while parked
		return
	}
	path := r.URL.Path
	rt, known := routes[path]
	known = known && (r.Method == http.MethodGet || r.Method == http.MethodHead)

	s.mu.Lock()
	s.stats.Requests[path]++
	f, faulted := s.takeFault(path)
	s.mu.Unlock()
	if faulted && !s.applyFault(sw, r, f, rt, known) {
		return
	}
	if strings.HasPrefix(path, archivePrefix) {
		s.serveArchive(sw, r) // a file server: no request weight
		return
	}
	if !known {
		http.NotFound(sw, r)
		return
	}

	weight, now := s.weightOf(rt, r), s.cfg.wall()
	s.mu.Lock()
	v := s.admit(rt.market, weight, now)
	s.mu.Unlock()
	setWeightHeaders(sw, rt.market, v.used)
	switch v.status {
	case http.StatusTooManyRequests:
		sw.Header().Set("Retry-After", retrySeconds(v.retry))
		writeError(sw, tooManyError(s.cfg.limits[rt.market]))
		return
	case http.StatusTeapot:
		sw.Header().Set("Retry-After", retrySeconds(v.retry))
		writeError(sw, bannedError(v.bannedUntil))
		return
	}
	s.serveEndpoint(sw, r, rt, known)
}

// serveEndpoint produces the normal answer, without any weight accounting.
func (s *Server) serveEndpoint(w http.ResponseWriter, r *http.Request, rt route, known bool) {
	if strings.HasPrefix(r.URL.Path, archivePrefix) {
		s.serveArchive(w, r) // reached by the Truncate fault
		return
	}
	if !known {
		http.NotFound(w, r)
		return
	}
	switch rt.ep {
	case epKlines:
		s.serveKlines(w, r, rt.market)
	case epExchangeInfo:
		s.serveExchangeInfo(w, r, rt.market)
	case epPing:
		writeJSON(w, http.StatusOK, []byte("{}"))
	case epTime:
		s.serveTime(w)
	case epHistoricalTrades:
		s.serveHistoricalTrades(w, r, rt.market)
	case epAggTrades:
		s.serveAggTrades(w, r, rt.market)
	case epFundingRate:
		s.serveFundingRate(w, r, rt.market) // funding.go
	}
}
