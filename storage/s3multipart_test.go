package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// rawClient is a plain SDK client on the test server, to see what the
// backend hides (pending multipart uploads).
func (s s3Server) rawClient(t *testing.T) *s3.Client {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.endpoint)
		o.UsePathStyle = true
	})
}

// Objects above the multipart threshold keep the single-PUT guarantees:
// preconditions hold on CompleteMultipartUpload, and a write that fails
// half-way leaves the old object and no pending upload.
func TestS3MultipartUpload(t *testing.T) {
	s := testS3Server(t)
	b := s.newBackend(t)
	ctx := context.Background()
	const name = "silver/klines/market=spot/interval=1s/symbol=BTCUSDT/2024-01-01.parquet"
	big := randomBytes(t, 20<<20) // above the 16 MiB threshold: 3 parts
	if err := putBytes(t, b, name, big, storage.Precondition{IfNoneMatch: true}); err != nil {
		t.Fatalf("multipart create: %v", err)
	}
	obj, err := b.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, obj.Size())
	if _, err := obj.ReadAt(got, 0); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read back %d bytes: %v", len(got), err)
	}
	v1 := obj.Version()
	obj.Close()

	steps := []struct {
		name  string
		cond  storage.Precondition
		fail  bool
		check func(error) bool
	}{
		{"create over an existing object", storage.Precondition{IfNoneMatch: true}, false, isPrecondition},
		{"replace with a stale version", storage.Precondition{IfMatch: `"0123456789abcdef0123456789abcdef"`}, false, isPrecondition},
		{"write fails after two parts", storage.Precondition{IfMatch: v1}, true, func(err error) bool { return errors.Is(err, errHalfway) }},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			_, err := b.Put(ctx, name, func(w io.Writer) error {
				if _, err := w.Write(randomBytes(t, 18<<20)); err != nil {
					return err
				}
				if st.fail {
					return errHalfway
				}
				_, err := w.Write(randomBytes(t, 1<<20))
				return err
			}, st.cond)
			if !st.check(err) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, v := readAll(t, b, name); v != v1 {
		t.Fatalf("object changed to version %s by failed writes", v)
	}
	ups, err := s.rawClient(t).ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(t.Name() + "-")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left pending", len(ups.Uploads))
	}
}

var errHalfway = errors.New("encoder failed half-way")

func isPrecondition(err error) bool { return errors.Is(err, storage.ErrPrecondition) }

func readAll(t *testing.T, b storage.Backend, name string) ([]byte, string) {
	t.Helper()
	obj, err := b.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	data := make([]byte, obj.Size())
	if _, err := obj.ReadAt(data, 0); err != nil {
		t.Fatal(err)
	}
	return data, obj.Version()
}
