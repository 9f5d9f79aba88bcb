package cmd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// s3Lake is a fresh prefix in the test bucket of the S3 server that
// tools/s3/run-with.sh started.
type s3Lake struct {
	endpoint, bucket, prefix string
}

func newS3Lake(t *testing.T) s3Lake {
	t.Helper()
	l := s3Lake{endpoint: os.Getenv("LAKEHOUSE_TEST_S3_ENDPOINT"), bucket: os.Getenv("LAKEHOUSE_TEST_S3_BUCKET")}
	if l.endpoint == "" || l.bucket == "" {
		testenv.Missing(t, testenv.S3, "LAKEHOUSE_TEST_S3_ENDPOINT/BUCKET unset")
	}
	b := make([]byte, 6)
	rand.Read(b)
	l.prefix = strings.ReplaceAll(t.Name(), "/", "-") + "-" + hex.EncodeToString(b)
	return l
}

func (l s3Lake) url() string { return "s3://" + l.bucket + "/" + l.prefix }

// flags point collect at the lake; endpoint may be a proxy in front of it.
func (l s3Lake) flags(endpoint string) []string {
	return []string{"--output", l.url(), "--s3-endpoint", endpoint, "--s3-path-style"}
}

func (l s3Lake) client(t *testing.T) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(l.endpoint)
		o.UsePathStyle = true
	})
}

// download copies every object of the lake into dir with the SDK, as a
// user would before pointing DuckDB at it (httpfs cannot be installed here).
func (l s3Lake) download(t *testing.T, dir string) []string {
	t.Helper()
	c := l.client(t)
	ctx := context.Background()
	var names []string
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(l.bucket), Prefix: aws.String(l.prefix + "/")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), l.prefix+"/")
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(l.bucket), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
	}
	return names
}

// store opens the lake with lakehouse's own S3 backend, for exact checks.
func (l s3Lake) store(t *testing.T) *storage.Store {
	t.Helper()
	u, err := storage.ParseOutput(l.url())
	if err != nil {
		t.Fatal(err)
	}
	b, err := storage.OpenBackendWith(context.Background(), u, storage.Options{S3: storage.S3Config{Endpoint: l.endpoint, PathStyle: true}})
	if err != nil {
		t.Fatal(err)
	}
	s := storage.NewStore(b, memory.DefaultAllocator, storage.WriteOptions{})
	t.Cleanup(func() { s.Close() })
	return s
}

// rows reads one stored file; a missing file has none.
func (l s3Lake) rows(t *testing.T, key storage.Key) ([]transform.Kline, string) {
	t.Helper()
	rec, version, err := l.store(t).Read(context.Background(), key)
	if storage.IsNotExist(err) {
		return nil, ""
	}
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	defer rec.Release()
	return transform.Rows(rec), version.Version
}

// buildLakehouse builds the CLI for tests that need a real process.
func buildLakehouse(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lakehouse")
	out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
