package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// get downloads url into memory, at most limit bytes. The archive client's
// retry layer reads the body (retrying 5xx and dropped or truncated
// transfers) and stops at the limit, so the zip is held once, never copied,
// and an oversized one fails without being read to the end.
func (a *ArchiveSource) get(ctx context.Context, url string, limit int64) (*memBody, error) {
	req, err := http.NewRequestWithContext(withBodyLimit(ctx, limit), http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.client.Do(req)
	if errors.Is(err, ErrBodyTooLarge) {
		// Not worth a retry: the server would send the same again.
		return nil, fmt.Errorf("%w: more than the %d bytes allowed", ErrBodyTooLarge, limit)
	}
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
