package cmd

import (
	"testing"

	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
)

// TestMain names the tests skipped for want of an S3 server, an
// OpenTelemetry Collector or DuckDB at the end of the run, even without -v.
func TestMain(m *testing.M) { testenv.Main(m) }

func TestRealServerSkipsAreAnnounced(t *testing.T) {
	testenv.CheckAnnounced(t, testenv.S3, "TestCollectToS3ReadByDuckDB")
	testenv.CheckAnnounced(t, testenv.OTLP, "TestOTLPExportReachesCollector")
}
