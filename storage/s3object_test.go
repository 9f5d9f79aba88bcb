package storage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/lakehouse-dev/lakehouse/storage"
)

func putBytes(t *testing.T, b storage.Backend, name string, data []byte, cond storage.Precondition) error {
	t.Helper()
	_, err := b.Put(context.Background(), name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, cond)
	return err
}

func randomBytes(t *testing.T, n int) []byte {
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	return data
}

// An open object is one version: if the object is replaced before the
// reader gets past the prefetched tail, reads fail with ErrPrecondition
// instead of mixing bytes of two versions.
func TestS3ObjectIsASnapshot(t *testing.T) {
	b := testS3Server(t).newBackend(t)
	const name = "silver/klines/market=spot/interval=1m/symbol=BTCUSDT/2024-01.parquet"
	cases := []struct {
		name     string
		size     int
		replaced bool
	}{
		{"small object, all in the tail", 1000, true},
		{"large object, unchanged", 300 << 10, false},
		{"large object, replaced after open", 300 << 10, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v1 := randomBytes(t, tc.size)
			if err := putBytes(t, b, name, v1, storage.Precondition{}); err != nil {
				t.Fatal(err)
			}
			obj, err := b.Open(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			defer obj.Close()
			if obj.Size() != int64(tc.size) {
				t.Fatalf("size %d, want %d", obj.Size(), tc.size)
			}
			if tc.replaced {
				if err := putBytes(t, b, name, randomBytes(t, tc.size), storage.Precondition{}); err != nil {
					t.Fatal(err)
				}
			}
			// The last bytes (the footer) come from what Open fetched.
			end := make([]byte, 8)
			if _, err := obj.ReadAt(end, int64(tc.size-8)); err != nil || !bytes.Equal(end, v1[tc.size-8:]) {
				t.Fatalf("tail read: %v", err)
			}
			all := make([]byte, tc.size)
			_, err = obj.ReadAt(all, 0)
			needsHead := tc.size > 64<<10
			switch {
			case needsHead && tc.replaced:
				if !errors.Is(err, storage.ErrPrecondition) {
					t.Fatalf("read of a replaced object: %v, want ErrPrecondition", err)
				}
			case err != nil:
				t.Fatalf("read: %v", err)
			case !bytes.Equal(all, v1):
				t.Fatal("read back differs")
			}
			if _, err := obj.ReadAt(end, int64(tc.size)); err != io.EOF {
				t.Fatalf("read past the end: %v, want EOF", err)
			}
		})
	}
}
