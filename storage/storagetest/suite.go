// Package storagetest is the conformance suite every storage.Backend must
// pass, so that a new backend never changes what the lake guarantees.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// Run runs the suite against fresh, empty backends made by newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) storage.Backend) {
	t.Run("PutOpenRoundTrip", func(t *testing.T) { testRoundTrip(t, newBackend(t)) })
	t.Run("MissingObject", func(t *testing.T) { testMissing(t, newBackend(t)) })
	t.Run("List", func(t *testing.T) { testList(t, newBackend(t)) })
	t.Run("Preconditions", func(t *testing.T) { testPreconditions(t, newBackend(t)) })
	t.Run("FailedWriteLeavesOldObject", func(t *testing.T) { testFailedWrite(t, newBackend(t)) })
	t.Run("ConcurrentWritersOneKey", func(t *testing.T) { testConcurrentWriters(t, newBackend(t)) })
}

func put(t *testing.T, b storage.Backend, name, data string, cond storage.Precondition) error {
	t.Helper()
	_, err := b.Put(context.Background(), name, func(w io.Writer) error {
		_, err := io.WriteString(w, data)
		return err
	}, cond)
	return err
}

func read(t *testing.T, b storage.Backend, name string) (string, string) {
	t.Helper()
	obj, err := b.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer obj.Close()
	buf := make([]byte, obj.Size())
	if _, err := obj.ReadAt(buf, 0); err != nil && err != io.EOF {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(buf), obj.Version()
}

const name = "silver/klines/market=spot/interval=1m/symbol=BTCUSDT/2024-01.parquet"

func testRoundTrip(t *testing.T, b storage.Backend) {
	if err := put(t, b, name, "hello", storage.Precondition{}); err != nil {
		t.Fatal(err)
	}
	got, v1 := read(t, b, name)
	if got != "hello" || v1 == "" {
		t.Fatalf("read %q version %q", got, v1)
	}
	if err := put(t, b, name, "hello, world", storage.Precondition{}); err != nil {
		t.Fatal(err)
	}
	got, v2 := read(t, b, name)
	if got != "hello, world" || v2 == v1 {
		t.Fatalf("after overwrite read %q version %q (old %q)", got, v2, v1)
	}
	obj, err := b.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	part := make([]byte, 5)
	if _, err := obj.ReadAt(part, 7); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if string(part) != "world" {
		t.Errorf("ReadAt(7) = %q", part)
	}
}

func testMissing(t *testing.T, b storage.Backend) {
	_, err := b.Open(context.Background(), "silver/klines/none.parquet")
	if !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("open missing: %v, want ErrNotExist", err)
	}
	infos, err := b.List(context.Background(), "silver/klines/market=spot/")
	if err != nil || len(infos) != 0 {
		t.Fatalf("list of empty lake: %v %v", infos, err)
	}
}

func testList(t *testing.T, b storage.Backend) {
	names := []string{
		"silver/klines/market=spot/interval=1m/symbol=BTCUSDT/2024-01.parquet",
		"silver/klines/market=spot/interval=1m/symbol=BTCUSDT/2024-02.parquet",
		"silver/klines/market=spot/interval=1m/symbol=ETHUSDT/2024-01.parquet",
		"silver/klines/market=usdm/interval=1m/symbol=BTCUSDT/2024-01.parquet",
	}
	for _, n := range names {
		if err := put(t, b, n, n, storage.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := b.List(context.Background(), "silver/klines/market=spot/interval=1m/symbol=BTCUSDT/")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, in := range infos {
		got[in.Name] = in.Size
	}
	if len(got) != 2 || got[names[0]] != int64(len(names[0])) || got[names[1]] != int64(len(names[1])) {
		t.Fatalf("list = %v", infos)
	}
	all, err := b.List(context.Background(), "silver/")
	if err != nil || len(all) != 4 {
		t.Fatalf("list all = %v, %v", all, err)
	}
}

func testPreconditions(t *testing.T, b storage.Backend) {
	if err := put(t, b, name, "v1", storage.Precondition{IfNoneMatch: true}); err != nil {
		t.Fatalf("create with IfNoneMatch: %v", err)
	}
	if err := put(t, b, name, "v1b", storage.Precondition{IfNoneMatch: true}); !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("second create with IfNoneMatch: %v, want ErrPrecondition", err)
	}
	_, v1 := read(t, b, name)
	if err := put(t, b, name, "v2", storage.Precondition{IfMatch: v1}); err != nil {
		t.Fatalf("replace with matching version: %v", err)
	}
	if err := put(t, b, name, "v3", storage.Precondition{IfMatch: v1}); !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("replace with stale version: %v, want ErrPrecondition", err)
	}
	if got, _ := read(t, b, name); got != "v2" {
		t.Fatalf("content %q, want v2", got)
	}
}

func testFailedWrite(t *testing.T, b storage.Backend) {
	if err := put(t, b, name, "intact", storage.Precondition{}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	_, err := b.Put(context.Background(), name, func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte("x"), 1<<20))
		return boom
	}, storage.Precondition{})
	if !errors.Is(err, boom) {
		t.Fatalf("failed write returned %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = b.Put(ctx, name, func(w io.Writer) error {
		cancel()
		_, err := w.Write([]byte("partial"))
		return err
	}, storage.Precondition{})
	if err == nil {
		t.Fatal("write with cancelled context succeeded")
	}
	if got, _ := read(t, b, name); got != "intact" {
		t.Fatalf("after failed writes content %q", got)
	}
	infos, _ := b.List(context.Background(), "silver/")
	if len(infos) != 1 {
		t.Fatalf("failed writes left objects: %v", infos)
	}
}

// testConcurrentWriters appends to one object from many goroutines with
// read-modify-write under preconditions: no append may be lost.
func testConcurrentWriters(t *testing.T, b storage.Backend) {
	const writers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := appendLine(b, fmt.Sprintf("w%d-%d\n", w, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, _ := read(t, b, name)
	if n := bytes.Count([]byte(got), []byte("\n")); n != writers*each {
		t.Fatalf("%d lines survived, want %d", n, writers*each)
	}
}

func appendLine(b storage.Backend, line string) error {
	ctx := context.Background()
	for attempt := 0; attempt < 200; attempt++ {
		var old []byte
		cond := storage.Precondition{IfNoneMatch: true}
		obj, err := b.Open(ctx, name)
		switch {
		case err == nil:
			old = make([]byte, obj.Size())
			if _, err := obj.ReadAt(old, 0); err != nil && err != io.EOF {
				obj.Close()
				return err
			}
			cond = storage.Precondition{IfMatch: obj.Version()}
			obj.Close()
		case !errors.Is(err, storage.ErrNotExist):
			return err
		}
		_, err = b.Put(ctx, name, func(w io.Writer) error {
			_, err := w.Write(append(old, line...))
			return err
		}, cond)
		if errors.Is(err, storage.ErrPrecondition) {
			continue
		}
		return err
	}
	return errors.New("too many conflicts")
}
