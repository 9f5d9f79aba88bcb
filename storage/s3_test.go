package storage_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/storage/storagetest"
	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
)

// s3Server is the S3-compatible server the tests use, from the env that
// tools/s3/run-with.sh exports.
type s3Server struct {
	endpoint, bucket string
}

func testS3Server(t *testing.T) s3Server {
	t.Helper()
	s := s3Server{endpoint: os.Getenv("LAKEHOUSE_TEST_S3_ENDPOINT"), bucket: os.Getenv("LAKEHOUSE_TEST_S3_BUCKET")}
	if s.endpoint == "" || s.bucket == "" {
		testenv.Missing(t, testenv.S3, "LAKEHOUSE_TEST_S3_ENDPOINT/BUCKET unset")
	}
	return s
}

func randomName(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// open opens a backend on bucket under a fresh prefix, so every test starts
// from an empty lake in one shared bucket.
func (s s3Server) open(t *testing.T, bucket string, cfg storage.S3Config) (storage.Backend, error) {
	t.Helper()
	cfg.Endpoint, cfg.PathStyle = s.endpoint, true
	u := &url.URL{Scheme: "s3", Host: bucket, Path: "/" + t.Name() + "-" + randomName(t)}
	u, err := storage.ParseOutput(u.String())
	if err != nil {
		t.Fatal(err)
	}
	return storage.OpenBackendWith(context.Background(), u, storage.Options{S3: cfg})
}

func (s s3Server) newBackend(t *testing.T) storage.Backend {
	t.Helper()
	b, err := s.open(t, s.bucket, storage.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestS3BackendConformance(t *testing.T) {
	s := testS3Server(t)
	storagetest.Run(t, s.newBackend)
}

func TestS3StoreConformance(t *testing.T) {
	s := testS3Server(t)
	storagetest.RunStore(t, s.newBackend)
}

func TestS3Faults(t *testing.T) {
	s := testS3Server(t)
	const badSecret = "not-the-secret-4f1c9a"
	storagetest.RunFaults(t, storagetest.Faults{
		MissingContainer: func(t *testing.T) (storage.Backend, error) {
			return s.open(t, "lakehouse-missing-"+randomName(t), storage.S3Config{MaxAttempts: 2})
		},
		Denied: func(t *testing.T) (storage.Backend, error) {
			creds := credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), badSecret, "")
			return s.open(t, s.bucket, storage.S3Config{Credentials: creds, MaxAttempts: 2})
		},
		Secret:      badSecret,
		Restartable: restartableVersitygw,
	})
}
