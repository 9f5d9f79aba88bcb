package storage_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/storage/storagetest"
)

func TestLocalBackendConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		b, err := storage.NewLocalBackend(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestLocalStoreConformance(t *testing.T) {
	storagetest.RunStore(t, func(t *testing.T) storage.Backend {
		b, err := storage.NewLocalBackend(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestLocalFaults(t *testing.T) {
	storagetest.RunFaults(t, storagetest.Faults{
		// The local "bucket" is the lake's parent folder; here it is a file.
		MissingContainer: func(t *testing.T) (storage.Backend, error) {
			parent := filepath.Join(t.TempDir(), "not-a-folder")
			if err := os.WriteFile(parent, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return storage.NewLocalBackend(filepath.Join(parent, "lake"))
		},
		Skip: map[string]string{
			"AccessDenied":        "folder permissions are the OS's; root ignores them",
			"ServerRestartMidRun": "no server",
		},
	})
}

// TestLocalFilesReadableByOthers: lake files are 0644 like any data file
// (the temp file they start as is private), so a query engine running as
// another user can read them.
func TestLocalFilesReadableByOthers(t *testing.T) {
	dir := t.TempDir()
	b, err := storage.NewLocalBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Put(context.Background(), "silver/x/a.parquet", func(w io.Writer) error {
		_, err := w.Write([]byte("data"))
		return err
	}, storage.Precondition{IfNoneMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "silver", "x", "a.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o644 {
		t.Errorf("mode %v, want 0644", got)
	}
}
