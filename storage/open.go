package storage

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
)

// Options are backend settings that do not fit in the --output URL.
type Options struct {
	S3     S3Config
	Logger *slog.Logger // for a backend's one-time warnings; nil discards
}

// opener creates a backend from an --output URL.
type opener func(ctx context.Context, u *url.URL, opts Options) (Backend, error)

// backends is the one table of storage backends by URL scheme.
var backends = map[string]opener{
	"file": func(_ context.Context, u *url.URL, _ Options) (Backend, error) { return NewLocalBackend(u.Path) },
	"s3": func(ctx context.Context, u *url.URL, opts Options) (Backend, error) {
		return NewS3Backend(ctx, u, opts.S3, opts.Logger)
	},
}

// ParseOutput checks an --output value: a plain path, file://PATH, or a URL
// with a registered scheme. It returns the URL used to open the backend.
func ParseOutput(output string) (*url.URL, error) {
	if output == "" {
		return nil, fmt.Errorf("--output is empty: give a folder or a URL such as file:///data/lake")
	}
	scheme, rest, hasScheme := strings.Cut(output, "://")
	if !hasScheme {
		return &url.URL{Scheme: "file", Path: output}, nil
	}
	scheme = strings.ToLower(scheme)
	if _, ok := backends[scheme]; !ok {
		return nil, fmt.Errorf("--output %q: unsupported scheme %q, allowed: %s", output, scheme, strings.Join(Schemes(), ", "))
	}
	if scheme == "file" {
		if rest == "" {
			return nil, fmt.Errorf("--output %q: file URL without a path", output)
		}
		return &url.URL{Scheme: "file", Path: rest}, nil
	}
	if scheme == "s3" {
		return parseS3Output(output)
	}
	u, err := url.Parse(output)
	if err != nil {
		return nil, fmt.Errorf("--output %q: %v", output, err)
	}
	return u, nil
}

// Schemes lists the supported --output URL schemes.
func Schemes() []string {
	out := make([]string, 0, len(backends))
	for s := range backends {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// OpenBackend opens the backend for a URL returned by ParseOutput.
func OpenBackend(ctx context.Context, u *url.URL) (Backend, error) {
	return OpenBackendWith(ctx, u, Options{})
}

// OpenBackendWith is OpenBackend with backend settings (S3 endpoint etc.).
func OpenBackendWith(ctx context.Context, u *url.URL, opts Options) (Backend, error) {
	open, ok := backends[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("unsupported output scheme %q", u.Scheme)
	}
	return open(ctx, u, opts)
}
