package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// restRows pages a dataset keyed by an id through one REST endpoint, by
// fromId from the newest id stored: exact resume, no overlap, no gap.
// The calls are plain GETs on the runner's REST client (retries, weight
// pacing and telemetry are its layers): go-binance cannot ask spot for
// microsecond times (X-MBX-TIME-UNIT), and these pages go straight into
// Arrow from their JSON.
type restRows struct {
	path  string
	limit int
	// byTime: the endpoint also starts at a time (aggTrades), within
	// windows no longer than window. Otherwise the first id at a time is
	// found through the market's aggTrades (each aggregate names its first
	// trade id).
	byTime bool
	window time.Duration
	// parse turns one page into a batch of the dataset's schema.
	parse func(mem memory.Allocator, m Market, page []byte, unit arrow.TimeUnit, rej *transform.Rejections) (arrow.RecordBatch, error)
}

// RESTEndpoint is where REST requests for datasets other than klines go.
type RESTEndpoint struct {
	BaseURL string // "" = Binance's production URL of the market
	Client  *http.Client
}

// microsHeader asks spot for times in microseconds, which trades carry.
const microsHeader = "X-MBX-TIME-UNIT"

// restTail fetches the rows after the archive: from the newest id the
// writer has (or the first id at the range's start) until the rows reach
// the end of the range or Binance has no more.
func (r *Runner) restTail(ctx context.Context, t Task, rr *restRows, w *rowsWriter) (err error) {
	if r.REST.Client == nil {
		return errors.New("no REST client for this dataset")
	}
	ctx, done := r.rowsFetchSpan(ctx, t, "api")
	fetched, rejected := w.res.Fetched, w.res.Rejected.Counts()
	defer func() {
		r.rowsRejected(ctx, t, rejected, &w.res.Rejected)
		done(w.res.Fetched-fetched, err)
	}()
	from := w.after + 1
	if w.after == 0 {
		id, ok, err := r.firstID(ctx, t, rr, w)
		if err != nil || !ok {
			return err
		}
		from = id
	}
	for {
		q := url.Values{"symbol": {t.Symbol}, "fromId": {strconv.FormatInt(from, 10)}, "limit": {strconv.Itoa(rr.limit)}}
		rec, err := r.restPage(ctx, t, rr, rr.path, q, w.res)
		if err != nil {
			return err
		}
		n, next, err := w.addPage(rec)
		switch {
		case errors.Is(err, errRowsDone):
			return nil
		case err != nil:
			return err
		case n < int64(rr.limit):
			return nil // caught up with Binance
		}
		from = next
	}
}

// addPage hands a REST page to the writer and releases it; next is the id
// after the page's last row (the next page's fromId). An empty page is
// not handed over.
func (w *rowsWriter) addPage(rec arrow.RecordBatch) (n, next int64, err error) {
	defer rec.Release()
	if n = rec.NumRows(); n == 0 {
		return 0, 0, nil
	}
	next = rec.Column(w.key).(*array.Int64).Value(int(n)-1) + 1
	return n, next, w.add(rec)
}

// firstID finds where the range starts. An endpoint that pages by time
// feeds its first non-empty window to w and goes on by id; for trades the
// first id comes from the first aggregate trade at or after the start.
func (r *Runner) firstID(ctx context.Context, t Task, rr *restRows, w *rowsWriter) (int64, bool, error) {
	probe := rr
	if !rr.byTime {
		probe = aggTradesSource.rest(t.Market)
	}
	end := t.End
	for start := t.Start; start < end; start += probe.window.Milliseconds() + 1 {
		q := url.Values{"symbol": {t.Symbol}, "startTime": {strconv.FormatInt(start, 10)},
			"endTime": {strconv.FormatInt(min(start+probe.window.Milliseconds(), end-1), 10)}, "limit": {strconv.Itoa(probe.limit)}}
		if !rr.byTime {
			q.Set("limit", "1")
			first, ok, err := r.firstTradeID(ctx, t, probe.path, q)
			if err != nil || ok {
				return first, ok, err
			}
			continue
		}
		rec, err := r.restPage(ctx, t, rr, rr.path, q, w.res)
		if err != nil {
			return 0, false, err
		}
		n, next, err := w.addPage(rec)
		switch {
		case n == 0:
			continue
		case errors.Is(err, errRowsDone):
			return 0, false, nil
		}
		return next, err == nil, err
	}
	return 0, false, nil
}

// firstTradeID reads the first trade id of the first aggregate trade
// matching q.
func (r *Runner) firstTradeID(ctx context.Context, t Task, path string, q url.Values) (int64, bool, error) {
	body, _, err := r.restGet(ctx, t, path, q)
	if err != nil {
		return 0, false, err
	}
	var aggs []struct {
		First int64 `json:"f"`
	}
	if err := json.Unmarshal(body, &aggs); err != nil {
		return 0, false, fmt.Errorf("GET %s: %w", path, err)
	}
	if len(aggs) == 0 {
		return 0, false, nil
	}
	return aggs[0].First, true, nil
}

// restPage GETs one page and parses it. Spot is asked for microseconds; a
// page that still comes in milliseconds (the header ignored) is read as
// such, told apart by magnitude as in the archive.
func (r *Runner) restPage(ctx context.Context, t Task, rr *restRows, path string, q url.Values, res *TaskResult) (arrow.RecordBatch, error) {
	body, unit, err := r.restGet(ctx, t, path, q)
	if err != nil {
		return nil, err
	}
	var rej transform.Rejections
	rec, err := rr.parse(r.Mem, t.Market, body, unit, &rej)
	if err == nil && unit == arrow.Microsecond && looksLikeMillis(rec, t.Data()) {
		rec.Release()
		rej = transform.Rejections{}
		rec, err = rr.parse(r.Mem, t.Market, body, arrow.Millisecond, &rej)
	}
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	res.Rejected.Merge(&rej)
	return rec, nil
}

// looksLikeMillis: times below 1e14 µs (1973) were milliseconds.
func looksLikeMillis(rec arrow.RecordBatch, d *transform.Dataset) bool {
	if rec.NumRows() == 0 {
		return false
	}
	col := rec.Column(rec.Schema().FieldIndices(d.Time)[0]).(*array.Timestamp)
	return int64(col.Value(0)) < 1e14
}

// maxRowsPage bounds a page of 1000 trades (about 150 KB).
const maxRowsPage = 4 << 20

// restGet makes one GET and returns the body of a 200 and the unit its
// times are in.
func (r *Runner) restGet(ctx context.Context, t Task, path string, q url.Values) ([]byte, arrow.TimeUnit, error) {
	base := r.REST.BaseURL
	if base == "" {
		base = t.Market.DefaultBaseURL()
	}
	req, err := http.NewRequestWithContext(withBodyLimit(ctx, maxRowsPage), http.MethodGet, strings.TrimRight(base, "/")+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, 0, err
	}
	unit := arrow.Millisecond
	if t.Market == Spot {
		req.Header.Set(microsHeader, "MICROSECOND")
		unit = arrow.Microsecond
	}
	resp, err := r.REST.Client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRowsPage+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, restStatusError(path, resp.StatusCode, body)
	}
	if len(body) > maxRowsPage {
		return nil, 0, fmt.Errorf("GET %s: %w: more than %d bytes", path, ErrBodyTooLarge, maxRowsPage)
	}
	if v := resp.Header.Get(microsHeader); v != "" {
		unit = transform.TimeUnitFromHeader(v)
	}
	return body, unit, nil
}

// restStatusError is Binance's error message ({"code":-1121,"msg":...}),
// or the status.
func restStatusError(path string, status int, body []byte) error {
	var e struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	if json.Unmarshal(body, &e) == nil && e.Msg != "" {
		return fmt.Errorf("GET %s: HTTP %d: Binance error %d: %s", path, status, e.Code, e.Msg)
	}
	return fmt.Errorf("GET %s: HTTP %d %s", path, status, http.StatusText(status))
}
