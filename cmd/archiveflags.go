package cmd

import (
	"sync"

	"github.com/spf13/pflag"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/storage"
)

// archiveOptions choose between REST and the data.binance.vision archive.
type archiveOptions struct {
	source    string
	url       string
	downloads int
	keepRaw   bool
}

func (a *archiveOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&a.source, "source", "auto", "where candles come from: auto (archive zips for past months and days, REST for today), api (REST only), archive (zips only, nothing from REST)")
	f.StringVar(&a.url, "binance-archive-url", collector.DefaultArchiveURL, "base URL of Binance's bulk archive (data.binance.vision)")
	f.IntVar(&a.downloads, "download-concurrency", collector.DefaultDownloadConcurrency, "archive files downloaded at once, for the whole run")
	f.BoolVar(&a.keepRaw, "keep-raw", false, "also store every verified archive zip (and its CHECKSUM) under bronze/ in the output")
}

// archiveSettings is archiveOptions after validation.
type archiveSettings struct {
	mode      collector.SourceMode
	url       string
	downloads int
	keepRaw   bool
}

func (a *archiveOptions) validate() (archiveSettings, error) {
	s := archiveSettings{downloads: a.downloads, keepRaw: a.keepRaw}
	var err error
	if s.mode, err = collector.ParseSourceMode(a.source); err != nil {
		return s, usageError("%v", err)
	}
	if s.url, err = collector.ParseBaseURL("--binance-archive-url", a.url); err != nil {
		return s, usageError("%v", err)
	}
	if a.downloads < 1 {
		return s, usageError("--download-concurrency %d: must be at least 1", a.downloads)
	}
	if s.keepRaw && s.mode == collector.SourceAPI {
		return s, usageError("--keep-raw stores archive zips, but --source api downloads none: use --source auto or archive")
	}
	return s, nil
}

// attach gives the runner its archive source (unless --source api).
func (s archiveSettings) attach(r *collector.Runner, raw storage.RawStore, client collector.ClientOptions) {
	r.Mode, r.DownloadConcurrency = s.mode, s.downloads
	if s.mode == collector.SourceAPI {
		return
	}
	if !s.keepRaw {
		raw = nil
	}
	r.Archive = collector.NewArchiveSource(s.url, collector.NewArchiveHTTPClient(client), raw)
}

// lazySource builds the REST source on first use: NewRESTSource asks
// exchangeInfo, and a run served wholly by the archive makes no REST call.
func lazySource(build func() collector.Source) func(collector.Market) collector.Source {
	var once sync.Once
	var src collector.Source
	return func(collector.Market) collector.Source {
		once.Do(func() { src = build() })
		return src
	}
}
