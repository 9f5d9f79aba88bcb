package collector

import (
	"context"
	"testing"
	"time"
)

// TestUntilAfterCancel: a day's write is not cut while the run goes on,
// however long its rows take (the old bound counted from the write's
// start), and ends limit after the run is interrupted.
func TestUntilAfterCancel(t *testing.T) {
	parent, interrupt := context.WithCancel(context.Background())
	ctx, cancel := untilAfterCancel(parent, 20*time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
		t.Fatal("ended while the run goes on")
	case <-time.After(100 * time.Millisecond): // five limits
	}
	interrupt()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("not ended after the run was interrupted")
	}

	// cancel ends it at once, whatever the run does.
	ctx, cancel = untilAfterCancel(context.Background(), time.Hour)
	cancel()
	if ctx.Err() == nil {
		t.Error("cancel did not end it")
	}
}
