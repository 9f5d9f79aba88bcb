package collector

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// maxZipSize bounds one download held in memory. The largest kline zips
// (a month of 1s candles) are far below it; the CLI never asks for those.
const maxZipSize = 1 << 30

// get downloads url into memory. The archive client's retry layer has
// already read the body (retrying 5xx and dropped or truncated
// transfers), so the zip is held once, never copied.
func (a *ArchiveSource) get(ctx context.Context, url string, limit int64) (*memBody, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, errNotPublished
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s: HTTP %d %s", url, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if mb, ok := resp.Body.(memBody); ok {
		if mb.Size() > limit {
			return nil, fmt.Errorf("GET %s: %d bytes, more than the %d allowed", url, mb.Size(), limit)
		}
		return &mb, nil
	}
	// Any other client (no retry layer) streams: read it once, bounded.
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: more than the %d bytes allowed", url, limit)
	}
	mb := newMemBody(b)
	return &mb, nil
}
