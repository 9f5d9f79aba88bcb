package storage_test

import (
	"testing"

	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
)

// TestMain names the tests skipped for want of an S3 server at the end of
// the run, even without -v.
func TestMain(m *testing.M) { testenv.Main(m) }

func TestS3SkipsAreAnnounced(t *testing.T) {
	testenv.CheckAnnounced(t, testenv.S3, "TestS3BackendConformance")
}
