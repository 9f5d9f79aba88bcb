package storage_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// TestS3Stream runs the streaming suite on the real S3 server. Writing
// holds the transfer manager's parts on top of the Parquet writer's row
// group (stream_s3.go: about 20 MiB), reading a ranged GET per column
// buffer (reading through Open would hold the whole 106 MB file).
func TestS3Stream(t *testing.T) {
	s := testS3Server(t)
	noPendingUploads := func(t *testing.T) {
		t.Helper()
		ups, err := s.rawClient(t).ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(t.Name() + "-")})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups.Uploads) != 0 {
			t.Errorf("%d multipart uploads left pending", len(ups.Uploads))
		}
	}
	runStreamSuite(t, func(t *testing.T) storage.Backend { return s.newBackend(t) }, heapFigures{heap: 112, live: 64}, noPendingUploads)
}
