package collector

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/lakehouse-dev/lakehouse/transform"
)

// fundingSource fetches the funding_rate dataset: data.binance.vision's
// monthly `fundingRate` zips (there are no daily ones), then
// /fapi/v1/fundingRate or /dapi/v1/fundingRate by startTime. Both REST
// paths have their own limit of 500 requests per 5 minutes per IP beside
// the request weight (endpointLimits in ratelimit.go paces them).
//
// A series is tiny (three settlements a day, about 1100 rows a year), so
// funding rates have their own runner (funding_run.go) that merges a year
// file whole, in memory, rather than the streaming writer of trades: its
// columns are nullable (mark_price comes from REST only,
// funding_interval_hours from the archive only), and a settlement both
// sources hold becomes one row with the columns of both.
var fundingSource = &timeSource{
	archive:  "fundingRate",
	restPath: map[Market]string{USDM: "/fapi/v1/fundingRate", COINM: "/dapi/v1/fundingRate"},
	limit:    1000,
}

// timeSource is how collect fetches a small dataset keyed by time
// (funding_rate): its monthly archive files and its REST path by market,
// paged by startTime.
type timeSource struct {
	archive  string
	restPath map[Market]string
	limit    int // rows per REST page (Binance's maximum)
}

// maxFundingZip bounds a monthly fundingRate zip: a month is a few KB.
const maxFundingZip = 1 << 20

// fundingFile downloads, verifies and decodes one monthly fundingRate zip:
// its CHECKSUM, the zip's SHA-256 against it, the one CSV inside (the zip
// reader checks its CRC-32 at the end). A file that does not verify or
// decode is fetched once more, then fails; nothing of it is returned.
func (r *Runner) fundingFile(ctx context.Context, t Task, f ArchiveFile, res *TaskResult) ([]transform.FundingRate, error) {
	url := r.Archive.URL(f)
	for attempt := 1; ; attempt++ {
		var rej transform.Rejections
		rows, err := r.fundingFileOnce(ctx, f, &rej)
		var ae *ArchiveError
		if err == nil {
			res.Rejected.Merge(&rej)
			return rows, nil
		}
		if ctx.Err() != nil || !errors.As(err, &ae) || !(errors.Is(err, errChecksumMismatch) || errors.Is(err, errUnreadable)) {
			return nil, err
		}
		ae.Attempts = attempt
		if attempt == archiveAttempts {
			return nil, err
		}
		r.Logger.Warn("archive file failed verification, fetching it again", "task", t.String(), "file", url, "err", err)
	}
}

func (r *Runner) fundingFileOnce(ctx context.Context, f ArchiveFile, rej *transform.Rejections) ([]transform.FundingRate, error) {
	a := r.Archive
	url := a.URL(f)
	fail := func(want, got string, err error) error {
		return &ArchiveError{URL: url, Want: want, Got: got, Attempts: 1, Err: err}
	}
	sum, err := a.get(ctx, url+".CHECKSUM", maxChecksumSize)
	if err != nil {
		return nil, err
	}
	want, err := parseChecksum(string(sum.b), f.Name())
	if err != nil {
		return nil, fail("", "", fmt.Errorf("%w: %v", errUnreadable, err))
	}
	body, err := a.get(ctx, url, maxFundingZip)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(body.b)
	if got := hex.EncodeToString(digest[:]); got != want {
		return nil, fail(want, got, errChecksumMismatch)
	}
	rows, err := decodeFundingZip(body.b, rej)
	if err != nil {
		return nil, fail(want, want, fmt.Errorf("%w: %v", errUnreadable, err))
	}
	if a.raw != nil {
		if err := a.keepRaw(ctx, f, body, sum); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// decodeFundingZip reads the one CSV of a fundingRate zip.
func decodeFundingZip(zipped []byte, rej *transform.Rejections) ([]transform.FundingRate, error) {
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		return nil, err
	}
	zr.RegisterDecompressor(zip.Deflate, newInflater)
	csv, err := oneCSV(zr)
	if err != nil {
		return nil, err
	}
	if csv.UncompressedSize64 > 16*maxFundingZip {
		return nil, fmt.Errorf("%s declares %d bytes: not a month of funding rates", csv.Name, csv.UncompressedSize64)
	}
	rc, err := csv.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return transform.ReadFundingCSV(rc, rej)
}

// fundingREST pages the settlements of [from, to) (ms) by startTime,
// oldest first, until a page is short.
func (r *Runner) fundingREST(ctx context.Context, t Task, src *timeSource, from, to int64, res *TaskResult) ([]transform.FundingRate, error) {
	path := src.restPath[t.Market]
	if path == "" {
		return nil, fmt.Errorf("no REST source of %s on %s", t.Data().Name, t.Market)
	}
	if r.REST.Client == nil {
		return nil, errors.New("no REST client for this dataset")
	}
	var out []transform.FundingRate
	for from < to {
		q := url.Values{"symbol": {t.Symbol}, "startTime": {strconv.FormatInt(from, 10)},
			"endTime": {strconv.FormatInt(to-1, 10)}, "limit": {strconv.Itoa(src.limit)}}
		body, _, err := r.restGet(ctx, t, path, q)
		if err != nil {
			return out, err
		}
		rows, n, err := transform.ParseFundingPage(body, &res.Rejected)
		if err != nil {
			return out, fmt.Errorf("GET %s: %w", path, err)
		}
		out = append(out, rows...)
		if n < src.limit {
			return out, nil
		}
		if len(rows) == 0 {
			return out, fmt.Errorf("GET %s: a full page of %d rejected settlements", path, n)
		}
		// The next page starts after the newest settlement Binance sent,
		// by its own (un-floored) time.
		next := rows[len(rows)-1].CalcTime + 1
		if next <= from {
			return out, fmt.Errorf("GET %s: the page from %s did not advance", path, time.UnixMilli(from).UTC().Format(time.RFC3339))
		}
		from = next
	}
	return out, nil
}
