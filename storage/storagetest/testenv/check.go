package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// CheckAnnounced runs test (one that needs c) again in a child process of
// the current test binary without any real components: it must be skipped
// and named in the banner, and must fail when c is required. It proves a
// package's TestMain is Main and its helper calls Missing.
func CheckAnnounced(t *testing.T, c Component, test string) {
	t.Helper()
	out, err := runChild(test, nil)
	if err != nil || !strings.Contains(out, "SKIPPED") || !strings.Contains(out, test) || !strings.Contains(out, c.Name) {
		t.Errorf("%s with no %s: %v; want it skipped and named in the banner:\n%s", test, c.Name, err, out)
	}
	out, err = runChild(test, []string{c.Require + "=1"})
	if err == nil || !strings.Contains(out, "--- FAIL: "+test) {
		t.Errorf("%s with no %s but %s=1: %v; want it to fail:\n%s", test, c.Name, c.Require, err, out)
	}
}

// runChild runs one test of this binary with an environment stripped of
// the real components' settings, plus env.
func runChild(test string, env []string) (string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LAKEHOUSE_TEST_") && !strings.HasPrefix(kv, "LAKEHOUSE_REQUIRE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, "LAKEHOUSE_TESTENV_TTY=0"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
