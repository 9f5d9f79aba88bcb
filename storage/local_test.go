package storage_test

import (
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
