package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// Faults stages the failures a backend can meet. A nil field skips its
// case, with the reason given in Skip.
type Faults struct {
	// MissingContainer opens a backend on a bucket (or folder parent) that
	// does not exist; opening may fail, or every operation must.
	MissingContainer func(t *testing.T) (storage.Backend, error)
	// Denied opens a backend with credentials the server refuses; Secret is
	// the secret used, which must appear in no error message.
	Denied func(t *testing.T) (storage.Backend, error)
	Secret string
	// Restartable returns a fresh backend and a function that stops its
	// server and starts it again after a pause, keeping the data.
	Restartable func(t *testing.T) (b storage.Backend, restart func())
	// Skip says why a nil case does not apply to this backend.
	Skip map[string]string
}

// RunFaults runs the failure cases the backend's test can stage.
func RunFaults(t *testing.T, f Faults) {
	cases := []struct {
		name string
		ok   bool
		run  func(t *testing.T)
	}{
		{"MissingBucket", f.MissingContainer != nil, func(t *testing.T) { testMissingContainer(t, f) }},
		{"AccessDenied", f.Denied != nil, func(t *testing.T) { testDenied(t, f) }},
		{"ServerRestartMidRun", f.Restartable != nil, func(t *testing.T) { testRestart(t, f) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Skip(f.Skip[c.name])
			}
			c.run(t)
		})
	}
}

// failsEverything checks that a broken backend refuses reads, lists and
// writes with errors that do not claim the object is simply missing: a
// planner treating "no bucket" as "nothing stored yet" would refetch
// everything and then fail on every write.
func failsEverything(t *testing.T, b storage.Backend, secret string) {
	t.Helper()
	ctx := context.Background()
	_, errOpen := b.Open(ctx, name)
	_, errList := b.List(ctx, "silver/")
	errPut := put(t, b, name, "data", storage.Precondition{IfNoneMatch: true})
	for op, err := range map[string]error{"open": errOpen, "list": errList, "put": errPut} {
		switch {
		case err == nil:
			t.Errorf("%s succeeded", op)
		case errors.Is(err, storage.ErrNotExist) || errors.Is(err, storage.ErrPrecondition):
			t.Errorf("%s: %v: must not look like a missing object or a conflict", op, err)
		case secret != "" && strings.Contains(err.Error(), secret):
			t.Errorf("%s: the error shows the secret: %v", op, err)
		}
	}
}

func testMissingContainer(t *testing.T, f Faults) {
	b, err := f.MissingContainer(t)
	if err != nil {
		if !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("open error %q does not say what is missing", err)
		}
		return
	}
	defer b.Close()
	failsEverything(t, b, "")
}

func testDenied(t *testing.T, f Faults) {
	b, err := f.Denied(t)
	if err != nil {
		if f.Secret != "" && strings.Contains(err.Error(), f.Secret) {
			t.Fatalf("the open error shows the secret: %v", err)
		}
		return
	}
	defer b.Close()
	failsEverything(t, b, f.Secret)
}

// testRestart writes while the server goes down and comes back: the
// backend's retries must carry every write through, and what was stored
// before must survive.
func testRestart(t *testing.T, f Faults) {
	b, restart := f.Restartable(t)
	defer b.Close()
	if err := put(t, b, name, "before", storage.Precondition{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	const writes = 20
	go func() {
		for i := 0; i < writes; i++ {
			n := fmt.Sprintf("silver/klines/market=spot/interval=1m/symbol=R%03d/2024-01.parquet", i)
			// Unconditional: a write the server committed just before going
			// down is retried, and must not then count as a conflict.
			if err := put(t, b, n, n, storage.Precondition{}); err != nil {
				done <- fmt.Errorf("write %d of %d: %w", i+1, writes, err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		done <- nil
	}()
	time.Sleep(200 * time.Millisecond)
	restart()
	if err := <-done; err != nil {
		t.Fatalf("a write across the restart failed: %v", err)
	}
	if got, _ := read(t, b, name); got != "before" {
		t.Fatalf("object written before the restart reads %q", got)
	}
	infos, err := b.List(context.Background(), "silver/")
	if err != nil || len(infos) != writes+1 {
		t.Fatalf("after restart list = %d objects, %v; want %d", len(infos), err, writes+1)
	}
}
