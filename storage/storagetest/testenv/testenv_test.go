package testenv

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// TestNeedsS3 stands for a test that needs an S3 server; it runs only as
// the child of TestSkipsAreAnnounced.
func TestNeedsS3(t *testing.T) {
	if os.Getenv("LAKEHOUSE_TESTENV_TTY") != "0" {
		t.Skip("run by TestSkipsAreAnnounced")
	}
	Missing(t, S3, "LAKEHOUSE_TEST_S3_ENDPOINT unset")
}

func TestSkipsAreAnnounced(t *testing.T) {
	CheckAnnounced(t, S3, "TestNeedsS3")
}
