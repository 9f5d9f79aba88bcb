// Command fakebinance serves the binancetest fake Binance REST API, and its
// data.binance.vision kline archive under /data/, on a real port, for manual
// runs of the downloader and for end-to-end scripts.
//
//	fakebinance --addr 127.0.0.1:8080 --window 1m --now 2024-06-01T00:00:00Z
//
// It prints "fakebinance listening on http://ADDR" once ready and serves until
// SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lakehouse-dev/lakehouse/collector/binancetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakebinance:", err)
		os.Exit(1)
	}
}

// run parses flags, listens and serves until ctx ends. Split from main so a
// test can drive it.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fakebinance", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	window := fs.Duration("window", time.Minute, "length of the request-weight window")
	spotW := fs.Int("spot-weight", 6000, "spot REQUEST_WEIGHT limit per window")
	usdmW := fs.Int("usdm-weight", 2400, "USD-M futures REQUEST_WEIGHT limit per window")
	coinmW := fs.Int("coinm-weight", 2400, "COIN-M futures REQUEST_WEIGHT limit per window")
	banAfter := fs.Int("ban-after", 0, "answer 418 after this many requests ignoring Retry-After (0 = never)")
	now := fs.String("now", "", "pin the data clock to this RFC 3339 instant (default: real time)")
	dailyDelay := fs.Duration("archive-daily-delay", 0, "publish each daily archive zip this long after its day ends (Binance: about 8h30m)")
	monthlyDelay := fs.Duration("archive-monthly-delay", 0, "publish each monthly archive zip this long after its month ends")
	spotSymbols := fs.String("spot-symbols", "", "comma-separated spot symbols to serve instead of the default five, listed from 2017-08-17")
	tradesSymbols := fs.String("trades-symbols", "", "comma-separated MARKET:SYMBOL (spot, usdm, coinm) given trades and aggTrades; their klines become aggregates of the trades, e.g. spot:BTCUSDT,usdm:BTCUSDT")
	tradesPerMinute := fs.Int("trades-per-minute", binancetest.DefaultTradesPerMinute, "average trades per minute of --trades-symbols (5000 makes ~7M-row daily files)")
	tradesZipDir := fs.String("trades-zip-dir", "", "build each trades/aggTrades zip once into this folder and serve it from there (benchmarks: a download then costs a file read, not generation)")
	zipCache := fs.Int("zip-cache", binancetest.DefaultZipCache, "built archive zips kept in memory (each about 2.7 MB for a month of 1m)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := []binancetest.Option{
		binancetest.WithWindow(*window),
		binancetest.WithWeightLimit(binancetest.Spot, *spotW),
		binancetest.WithWeightLimit(binancetest.USDM, *usdmW),
		binancetest.WithWeightLimit(binancetest.COINM, *coinmW),
		binancetest.WithBanAfter429(*banAfter),
		binancetest.WithArchivePublishDelay(*dailyDelay, *monthlyDelay),
		binancetest.WithZipCache(*zipCache),
	}
	if *spotSymbols != "" {
		listed := map[string]time.Time{}
		for _, sym := range strings.Split(*spotSymbols, ",") {
			if sym = strings.TrimSpace(sym); sym != "" {
				listed[strings.ToUpper(sym)] = binancetest.DefaultListing
			}
		}
		opts = append(opts, binancetest.WithSymbols(binancetest.Spot, listed))
	}
	if *tradesSymbols != "" {
		for _, ms := range strings.Split(*tradesSymbols, ",") {
			m, sym, ok := strings.Cut(strings.TrimSpace(ms), ":")
			mk := binancetest.Market(strings.ToLower(m))
			if !ok || sym == "" || (mk != binancetest.Spot && mk != binancetest.USDM && mk != binancetest.COINM) {
				return fmt.Errorf("--trades-symbols: %q is not MARKET:SYMBOL with market spot, usdm or coinm", ms)
			}
			opts = append(opts, binancetest.WithTrades(mk, *tradesPerMinute, strings.ToUpper(sym)))
		}
	}
	if *tradesZipDir != "" {
		opts = append(opts, binancetest.WithTradesZipDir(*tradesZipDir))
	}
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return fmt.Errorf("--now: %w", err)
		}
		opts = append(opts, binancetest.WithClock(func() time.Time { return t }))
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// New also starts an httptest listener on loopback; it is unused here but
	// harmless, and keeps the package API to a single constructor.
	fake := binancetest.New(opts...)
	defer fake.Close()
	srv := &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "fakebinance listening on http://%s\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
