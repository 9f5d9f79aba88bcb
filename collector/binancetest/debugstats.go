package binancetest

import (
	"encoding/json"
	"net/http"
)

// debugStatsPath serves Stats as JSON, read-only, so a script driving the
// fakebinance binary (make bench) can read the weight charged per window
// and the 429s without linking the package. It is neither counted nor
// charged, and never faulted.
const debugStatsPath = "/debug/stats"

func (s *Server) serveDebugStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := json.Marshal(s.Stats())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
