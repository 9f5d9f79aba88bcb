package storage_test

import (
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
