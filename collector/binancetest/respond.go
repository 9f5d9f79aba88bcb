package binancetest

import (
	"net/http"
	"strconv"
	"time"
)

// apiError is Binance's error shape: an HTTP status plus {"code","msg"}.
type apiError struct {
	status int
	code   int
	msg    string
}

var errInvalidSymbol = &apiError{http.StatusBadRequest, -1121, "Invalid symbol."}

func errMandatory(name string) *apiError {
	return &apiError{http.StatusBadRequest, -1102,
		"Mandatory parameter '" + name + "' was not sent, was empty/null, or malformed."}
}

func errIllegalChars(name string) *apiError {
	return &apiError{http.StatusBadRequest, -1100,
		"Illegal characters found in parameter '" + name + "'; legal range is '^[0-9]{1,20}$'."}
}

// body renders {"code":..,"msg":".."}; messages are fixed ASCII without
// quotes or backslashes, so no JSON escaping is needed.
func (e *apiError) body() []byte {
	b := append([]byte(`{"code":`), strconv.Itoa(e.code)...)
	b = append(b, `,"msg":"`...)
	b = append(b, e.msg...)
	return append(b, `"}`...)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func writeError(w http.ResponseWriter, e *apiError) { writeJSON(w, e.status, e.body()) }

// statusWriter counts each response in Stats the moment its status is
// decided, before any byte reaches the client, so a test that reads Stats
// right after getting a response always sees it.
type statusWriter struct {
	http.ResponseWriter
	srv  *Server
	done bool // already recorded
}

func (w *statusWriter) note(code int) {
	if !w.done {
		w.done = true
		w.srv.record(code)
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.note(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.note(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// dropped records a connection closed without a response (status 0).
func (w *statusWriter) dropped() { w.note(0) }

// finish records net/http's implicit 200 when a handler wrote nothing.
func (w *statusWriter) finish() { w.note(http.StatusOK) }

// retrySeconds renders a duration as Retry-After wants it: whole seconds,
// rounded up.
func retrySeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
