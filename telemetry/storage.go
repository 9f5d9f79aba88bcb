package telemetry

import (
	"context"
	"time"
)

// Storage operation statuses. "not_found" is a normal answer (a file not
// written yet), not an error.
const (
	StorageOK       = "ok"
	StorageNotFound = "not_found"
	StorageError    = "error"
)

// StorageRecorder records the operations of one storage backend.
type StorageRecorder struct {
	m       *Metrics
	backend string
}

// Storage returns the recorder for backend ("file", "s3").
func (m *Metrics) Storage(backend string) *StorageRecorder {
	return &StorageRecorder{m: m, backend: backend}
}

// Record records one operation ("read", "write", "meta", "list"): status
// is StorageOK, StorageNotFound or StorageError, errorType says why it
// failed (only with StorageError), size is the bytes written (0: none).
func (r *StorageRecorder) Record(ctx context.Context, operation, status, errorType string, d time.Duration, size int64) {
	c := &r.m.caches
	r.m.storageOps.Add(ctx, 1, c.storageOps.get(attrVals{operation, status, r.backend}).add...)
	r.m.storageDuration.Record(ctx, d.Seconds(), c.storageDur.get(attrVals{operation, r.backend}).rec...)
	if size > 0 {
		r.m.objectSize.Record(ctx, size, c.storageSize.get(attrVals{r.backend}).rec...)
	}
	if status == StorageError {
		r.m.storageErrors.Add(ctx, 1, c.storageErr.get(attrVals{operation, errorType}).add...)
	}
}
