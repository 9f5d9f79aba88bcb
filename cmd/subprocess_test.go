package cmd

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// streamBuffer collects a process's output and wakes whoever waits for a
// line in it, so tests act when the process says something happened
// rather than after a sleep.
type streamBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	grew chan struct{} // closed and replaced on every write
}

func newStreamBuffer() *streamBuffer { return &streamBuffer{grew: make(chan struct{})} }

func (s *streamBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.grew)
	s.grew = make(chan struct{})
	return s.b.Write(p)
}

func (s *streamBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// contains reports whether text has been written, and a channel closed by
// the next write.
func (s *streamBuffer) contains(text string) (bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Contains(s.b.String(), text), s.grew
}

// process is a lakehouse subprocess.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr *streamBuffer
	exited         chan struct{} // closed once Wait returned; err is then set
	err            error
}

// startLakehouse runs bin with args (and env added to the test's own); the
// process is killed at the end of the test if still running.
func startLakehouse(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), stdout: newStreamBuffer(), stderr: newStreamBuffer(), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// await waits for ev; what names it in the failure. The limit only turns
// a hang into a failure: nothing is timed.
func (p *process) await(t *testing.T, what string, ev <-chan struct{}) {
	t.Helper()
	select {
	case <-ev:
	case <-p.exited:
		t.Fatalf("the process exited (%v) before %s\nstderr:\n%s", p.err, what, p.stderr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("no %s within 2 minutes\nstderr:\n%s", what, p.stderr)
	}
}

// awaitStderr waits until the process has written text to stderr.
func (p *process) awaitStderr(t *testing.T, text string) {
	t.Helper()
	for {
		ok, grew := p.stderr.contains(text)
		if ok {
			return
		}
		p.await(t, "stderr line "+strings.TrimSpace(text), grew)
	}
}

func (p *process) sigterm(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// awaitExit waits for the process to end, at most within.
func (p *process) awaitExit(t *testing.T, within time.Duration, what string) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("%s: still running after %v\nstderr:\n%s", what, within, p.stderr)
	}
}

// silentOTLP is an OTLP endpoint that accepts connections and never
// answers: an export to it lasts until its deadline, so a process flushing
// telemetry there is known to be still flushing.
func silentOTLP(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}
