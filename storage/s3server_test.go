package storage_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/storage/storagetest/testenv"
)

// privateVersitygw is a versitygw process of one test, which it may stop
// and start again (the shared server of run-with.sh must stay up).
type privateVersitygw struct {
	t    *testing.T
	bin  string
	addr string
	root string
	cmd  *exec.Cmd
}

// restartableVersitygw starts a private server on the binary run-with.sh
// installed and returns a backend on it and its restart function.
func restartableVersitygw(t *testing.T) (storage.Backend, func()) {
	shared := testS3Server(t)
	bin := os.Getenv("LAKEHOUSE_TEST_S3_VERSITYGW")
	if bin == "" {
		testenv.Missing(t, testenv.S3, "LAKEHOUSE_TEST_S3_VERSITYGW unset: no server binary to restart")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := &privateVersitygw{t: t, bin: bin, addr: addr, root: t.TempDir()}
	if err := os.Mkdir(filepath.Join(p.root, shared.bucket), 0o755); err != nil {
		t.Fatal(err)
	}
	p.start()
	t.Cleanup(p.stop)
	s := s3Server{endpoint: "http://" + addr, bucket: shared.bucket}
	b := s.newBackend(t)
	restart := func() {
		p.stop()
		time.Sleep(time.Second) // writes meet a dead port for a while
		p.start()
	}
	return b, restart
}

func (p *privateVersitygw) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, "--port", p.addr, "posix", p.root)
	p.cmd.Env = append(os.Environ(),
		"ROOT_ACCESS_KEY="+os.Getenv("AWS_ACCESS_KEY_ID"),
		"ROOT_SECRET_KEY="+os.Getenv("AWS_SECRET_ACCESS_KEY"))
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start versitygw: %v", err)
	}
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", p.addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("versitygw did not listen on %s", p.addr)
}

// stop kills the server hard: a crash, not a graceful shutdown.
func (p *privateVersitygw) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p.cmd = nil
}
