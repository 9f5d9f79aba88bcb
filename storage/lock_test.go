package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLockDirExcludes: holders of a folder's lock never overlap, also
// through separate handles as two processes have (a no-op lock fails this).
func TestLockDirExcludes(t *testing.T) {
	dir := t.TempDir()
	const holders, rounds = 4, 20
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for range holders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				unlock, err := lockDir(dir)
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				time.Sleep(time.Millisecond) // give a broken lock every chance to overlap
				inside.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("%d lock holders overlapped", n)
	}
	if _, err := os.Stat(filepath.Join(dir, lockFileName)); err != nil {
		t.Fatalf("lock file: %v", err)
	}
}

// TestLocalCreateRace: of writers creating one new file at once with
// IfNoneMatch, exactly one succeeds and the others see ErrPrecondition;
// without the folder lock two of them pass the check and one write is lost.
func TestLocalCreateRace(t *testing.T) {
	root := t.TempDir()
	b, err := NewLocalBackend(root)
	if err != nil {
		t.Fatal(err)
	}
	const writers, files = 4, 40
	for i := range files {
		name := fmt.Sprintf("silver/klines/market=spot/interval=1h/symbol=RACE/%04d.parquet", i)
		var ok atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := b.Put(context.Background(), name, func(wr io.Writer) error {
					<-start // all writers reach the lock together
					_, err := fmt.Fprintf(wr, "writer %d", w)
					return err
				}, Precondition{IfNoneMatch: true})
				switch {
				case err == nil:
					ok.Add(1)
				case !errors.Is(err, ErrPrecondition):
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if n := ok.Load(); n != 1 {
			t.Fatalf("%s: %d writers created it, want exactly 1", name, n)
		}
	}
	infos, err := b.List(context.Background(), "silver/")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != files {
		t.Fatalf("listed %d objects, want %d (the lock file must not be listed)", len(infos), files)
	}
}
