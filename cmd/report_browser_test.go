package cmd

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
)

// chromiumComponent is the browser the report's page is tested in; `make test`
// installs it (tools/chromium/install.sh, Debian's package).
var chromiumComponent = testenv.Component{Name: "Chromium", Require: "LAKEHOUSE_REQUIRE_SERVERS", Run: "tools/chromium/install.sh"}

// The colours of the page's legend (reportpage/report.css), as
// getComputedStyle gives them.
var reportColours = map[string]string{
	"c": "rgb(45, 164, 78)",   // complete
	"p": "rgb(227, 179, 65)",  // partial
	"m": "rgb(207, 34, 46)",   // missing
	"g": "rgb(9, 105, 218)",   // gap at Binance
	"n": "rgb(235, 237, 240)", // not stored
}

// TestReportInChromium: the report of a lake with a known missing day,
// partial day and gap at Binance, opened from disk in headless Chromium
// without any network, draws exactly the lake's days in the legend's
// colours, a cell a day or a cell a month; a row opens its calendar of
// days; the table sorts and filters; the page asks for nothing but its
// own file. A screenshot is saved (LAKEHOUSE_UPDATE_SCREENSHOT=1: as
// docs/report.png).
func TestReportInChromium(t *testing.T) {
	b := newBrowser(t)
	shot, err := filepath.Abs(filepath.Join("..", "docs", "report.png"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if os.Getenv("LAKEHOUSE_UPDATE_SCREENSHOT") != "1" {
		shot = filepath.Join(out, "report.png")
	}
	lake := t.TempDir()
	writeReportLake(t, lake, true)

	// The whole lake spans 2023-01-01 .. 2024-03-10: a cell a month (15),
	// the worst of its days.
	b.open(t, writeReportFile(t, lake, filepath.Join(out, "months.html")))
	n14 := strings.Repeat("n", 14)
	b.checkStrips(t, map[string]string{
		"klines/spot/1d/BTCUSDT": "ccccc" + "m" + "cccccc" + "ccc",
		"klines/spot/1m/BTCUSDT": n14 + "m",
		"klines/spot/1m/ETHUSDT": n14[1:] + "cc",
		"trades/spot/BTCUSDT":    n14 + "m",
		"trades/usdm/BTCUSDT":    n14 + "c",
	})
	b.checkColours(t)
	b.checkCalendar(t, "klines/spot/1d/BTCUSDT", "2023-01-01", reportBTC1d)
	b.checkCalendar(t, "klines/spot/1m/BTCUSDT", "2024-03-01", reportBTC1m)

	// Without the 1d series it spans 12 days: a cell a day, from
	// 2024-02-28 (ETHUSDT's first) to 2024-03-10 (BTCUSDT's last).
	days := writeReportFile(t, lake, filepath.Join(out, "days.html"), "--timeframes", "1m")
	b.open(t, days)
	b.checkStrips(t, map[string]string{
		"klines/spot/1m/BTCUSDT": "nn" + reportBTC1m,
		"klines/spot/1m/ETHUSDT": reportETH1m + strings.Repeat("n", 8),
		"trades/spot/BTCUSDT":    "nn" + reportSpotTrades + strings.Repeat("n", 5),
		"trades/usdm/BTCUSDT":    "nn" + reportUsdmTrades + strings.Repeat("n", 7),
	})
	b.checkColours(t)
	b.checkCalendar(t, "klines/spot/1m/BTCUSDT", "2024-03-01", reportBTC1m)
	b.checkCalendar(t, "trades/spot/BTCUSDT", "2024-03-01", reportSpotTrades)
	b.checkSortAndFilter(t)

	b.open(t, days)
	b.screenshot(t, shot)
	b.checkOffline(t)
}

// writeReportFile runs `lakehouse report` on lake into path, as a user
// redirecting its output would.
func writeReportFile(t *testing.T, lake, path string, args ...string) string {
	t.Helper()
	r := run(t, nil, append([]string{"report", "--output", lake}, args...)...)
	if r.code != ExitOK {
		t.Fatalf("report: exit %d: %s", r.code, r.err)
	}
	for _, ref := range []string{`src="http`, `href="http`, `url(http`, `@import`} {
		if strings.Contains(r.out, ref) {
			t.Errorf("the page refers to %q: it must be self-contained", ref)
		}
	}
	if err := os.WriteFile(path, []byte(r.out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LAKEHOUSE_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Missing(t, chromiumComponent, "no chromium on PATH (nor LAKEHOUSE_TEST_CHROMIUM)")
	return ""
}

// chromiumTab is a tab of a headless Chromium without network: its proxy is a
// closed port (loopback included), its resolver knows no host, and
// DevTools emulates being offline. It records every request a page makes
// and every script error.
type chromiumTab struct {
	ctx      context.Context
	pages    []string // the files opened
	mu       sync.Mutex
	requests []string
	errs     []string
}

func newBrowser(t *testing.T) *chromiumTab {
	t.Helper()
	path := chromiumPath(t)
	profile, err := os.MkdirTemp("", "lakehouse-chromium")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Chromium's children can write in the profile for a moment after
		// the browser has gone.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 700),
		chromedp.ProxyServer("http://127.0.0.1:9"), chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	b := &chromiumTab{}
	tctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	t.Cleanup(cancelTab)
	b.ctx = tctx
	offline := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{
		{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}}
	if _, err := chromedp.Call(tctx, network.EmulateNetworkConditionsByRule, offline); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	if _, err := chromedp.Call(tctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *chromiumTab) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		msg := ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
		b.errs = append(b.errs, msg)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.errs = append(b.errs, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	}
}

// do runs actions, failing the test on a script error or after 15 s.
func (b *chromiumTab) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, actions...)
	b.mu.Lock()
	errs := slices.Clone(b.errs)
	b.mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("%s: script errors: %q", what, errs)
	}
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// open loads a page from disk and waits for its table.
func (b *chromiumTab) open(t *testing.T, path string) {
	t.Helper()
	b.pages = append(b.pages, "file://"+path)
	b.do(t, "open "+path, chromedp.Navigate("file://"+path), chromedp.WaitReady(chromedp.CSS("#series tbody tr.series")))
}

func evalJS[T any](t *testing.T, b *chromiumTab, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// checkStrips compares each series' strip, cell by cell, with want.
func (b *chromiumTab) checkStrips(t *testing.T, want map[string]string) {
	t.Helper()
	got := evalJS[map[string]string](t, b, `Object.fromEntries([...document.querySelectorAll('#series tbody tr.series')].map((tr) =>
		[tr.dataset.series, [...tr.querySelectorAll('svg.strip rect.cell')].map((r) => r.dataset.status).join('')]))`)
	if len(got) != len(want) {
		t.Errorf("series drawn %v, want %v", got, want)
	}
	for s, w := range want {
		if got[s] != w {
			t.Errorf("%s: cells %q, want %q", s, got[s], w)
		}
	}
	if zero := evalJS[int](t, b, `[...document.querySelectorAll('svg.strip rect.cell')].filter((r) => {
		const b = r.getBoundingClientRect(); return b.width < 2 || b.height < 2; }).length`); zero > 0 {
		t.Errorf("%d cells drawn without size", zero)
	}
}

// checkColours: every cell and every legend swatch of a status has that
// status's colour, as the browser computes it.
func (b *chromiumTab) checkColours(t *testing.T) {
	t.Helper()
	cells := evalJS[map[string][]string](t, b, `(() => {
		const c = {};
		for (const r of document.querySelectorAll('rect.cell, rect.day')) {
			const s = r.dataset.status, f = getComputedStyle(r).fill;
			c[s] = c[s] || [];
			if (!c[s].includes(f)) c[s].push(f);
		}
		return c;
	})()`)
	legend := evalJS[map[string]string](t, b, `Object.fromEntries([...document.querySelectorAll('.legend .swatch')].map((e) =>
		[e.className.replace(/.*s-/, ''), getComputedStyle(e).backgroundColor]))`)
	for s, want := range reportColours {
		if legend[s] != want {
			t.Errorf("legend %s: %q, want %q", s, legend[s], want)
		}
		if got, ok := cells[s]; ok && !slices.Equal(got, []string{want}) {
			t.Errorf("cells %s: colours %q, want %q", s, got, want)
		}
	}
	for s := range cells {
		if _, ok := reportColours[s]; !ok {
			t.Errorf("cells of unknown status %q", s)
		}
	}
}

// checkCalendar opens a series' row and compares its calendar, day by day,
// with days (from first on); a second click closes it.
func (b *chromiumTab) checkCalendar(t *testing.T, series, first, days string) {
	t.Helper()
	row := fmt.Sprintf(`tr.series[data-series=%q]`, series)
	b.do(t, "open "+series, chromedp.Click(chromedp.CSS(row)), chromedp.WaitVisible(chromedp.CSS(row+" + tr.detail rect.day")))
	got := evalJS[[][2]string](t, b, fmt.Sprintf(`[...document.querySelectorAll(%q)].map((r) => [r.dataset.day, r.dataset.status])`, row+" + tr.detail rect.day"))
	d0, err := time.Parse(time.DateOnly, first)
	if err != nil {
		t.Fatal(err)
	}
	var want [][2]string
	for i := range days {
		want = append(want, [2]string{d0.AddDate(0, 0, i).Format(time.DateOnly), days[i : i+1]})
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s calendar:\n got %v\nwant %v", series, got, want)
	}
	b.checkColours(t)
	b.do(t, "close "+series, chromedp.Click(chromedp.CSS(row)), chromedp.WaitNotPresent(chromedp.CSS(row+" + tr.detail")))
}

func (b *chromiumTab) visible(t *testing.T) []string {
	t.Helper()
	return evalJS[[]string](t, b, `[...document.querySelectorAll('#series tbody tr.series')].filter((tr) => tr.getClientRects().length > 0).map((tr) => tr.dataset.series)`)
}

// checkSortAndFilter clicks headers and types filters as a user would.
func (b *chromiumTab) checkSortAndFilter(t *testing.T) {
	t.Helper()
	byRows := []string{"trades/usdm/BTCUSDT", "trades/spot/BTCUSDT", "klines/spot/1m/ETHUSDT", "klines/spot/1m/BTCUSDT"}
	rows := chromedp.CSS(`th[data-key="rows"]`)
	b.do(t, "sort by rows", chromedp.Click(rows))
	if got := b.visible(t); !slices.Equal(got, byRows) {
		t.Errorf("sorted by rows: %v, want %v", got, byRows)
	}
	b.do(t, "sort by rows", chromedp.Click(rows))
	desc := slices.Clone(byRows)
	slices.Reverse(desc)
	if got, sort := b.visible(t), evalJS[string](t, b, `document.querySelector('th[data-key="rows"]').getAttribute('aria-sort')`); !slices.Equal(got, desc) || sort != "descending" {
		t.Errorf("sorted by rows again: %v (%s), want %v descending", got, sort, desc)
	}
	b.do(t, "sort by symbol", chromedp.Click(chromedp.CSS(`th[data-key="symbol"]`)))
	if got := b.visible(t); len(got) != 4 || got[3] != "klines/spot/1m/ETHUSDT" {
		t.Errorf("sorted by symbol: %v", got)
	}

	status := func(v string) {
		t.Helper()
		evalJS[bool](t, b, fmt.Sprintf(`(() => { const s = document.getElementById('status-filter'); s.value = %q; s.dispatchEvent(new Event('change')); return true; })()`, v))
	}
	b.do(t, "type a filter", chromedp.SendKeys(chromedp.ID("filter"), "trades"))
	if got, shown := b.visible(t), evalJS[string](t, b, `document.getElementById('shown').textContent`); len(got) != 2 || !strings.HasPrefix(got[0], "trades/") || !strings.HasPrefix(got[1], "trades/") || shown != "showing 2 of 4 series" {
		t.Errorf("filter trades: %v, %q", got, shown)
	}
	status("p")
	if got := b.visible(t); !slices.Equal(got, []string{"trades/spot/BTCUSDT"}) {
		t.Errorf("filter trades, partial days: %v", got)
	}
	b.do(t, "type more of the filter", chromedp.SendKeys(chromedp.ID("filter"), " usdm"))
	if got, empty := b.visible(t), evalJS[bool](t, b, `!document.getElementById('empty').hidden`); len(got) != 0 || !empty {
		t.Errorf("filter trades usdm, partial days: %v, empty note shown %v", got, empty)
	}
	evalJS[bool](t, b, `(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); return true; })()`)
	for st, want := range map[string][]string{
		"m":        {"klines/spot/1m/BTCUSDT", "trades/spot/BTCUSDT"},
		"g":        {"klines/spot/1m/BTCUSDT"},
		"problems": {"klines/spot/1m/BTCUSDT", "trades/spot/BTCUSDT"},
		"c":        {"trades/usdm/BTCUSDT", "klines/spot/1m/ETHUSDT"},
		"":         {"trades/usdm/BTCUSDT", "klines/spot/1m/BTCUSDT", "trades/spot/BTCUSDT", "klines/spot/1m/ETHUSDT"},
	} {
		status(st)
		got := b.visible(t)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("status %q: %v, want %v", st, got, want)
		}
	}
}

// screenshot saves the page into path with BTCUSDT 1m's calendar open,
// and checks that it shows every status's colour.
func (b *chromiumTab) screenshot(t *testing.T, path string) {
	t.Helper()
	row := chromedp.CSS(`tr.series[data-series="klines/spot/1m/BTCUSDT"]`)
	b.do(t, "open BTCUSDT 1m", chromedp.Click(row), chromedp.WaitVisible(chromedp.CSS("tr.detail rect.day")))
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	for s, c := range reportColours {
		if n := countColour(img, c); n < 50 {
			t.Errorf("screenshot: %d pixels of %s (%s)", n, c, s)
		}
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// countColour counts the pixels of img of the CSS colour "rgb(r, g, b)".
func countColour(img image.Image, css string) int {
	var r, g, bl uint8
	fmt.Sscanf(css, "rgb(%d, %d, %d)", &r, &g, &bl)
	want := color.RGBA{r, g, bl, 255}
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == want {
				n++
			}
		}
	}
	return n
}

// checkOffline: the pages asked for nothing but their own files, and the
// browser could not have fetched anything else: a request to a server on
// this machine does not reach it.
func (b *chromiumTab) checkOffline(t *testing.T) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q).then(() => 'reached', (e) => 'blocked: ' + e)`, srv.URL), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "blocked") || hits.Load() != 0 {
		t.Errorf("a fetch from the page: %s, %d requests reached the server: the browser has a network", got, hits.Load())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var pages []string
	for _, u := range b.requests {
		switch {
		case u == srv.URL || u == srv.URL+"/":
		case slices.Contains(b.pages, u):
			pages = append(pages, u)
		default:
			t.Errorf("the page requested %s", u)
		}
	}
	if !slices.Equal(pages, b.pages) {
		t.Errorf("requests %v: want the pages %v", b.requests, b.pages)
	}
}
