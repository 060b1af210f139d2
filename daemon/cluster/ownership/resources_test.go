package ownership

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/cluster/locks"
)

// names lists the locks held.
func (t *tableLocker) names() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Sorted(maps.Keys(t.held))
}

// A resource added after start is taken; one removed is released, in the
// lock table and in what the node announces.
func TestSetResourcesTakesAddedAndReleasesRemoved(t *testing.T) {
	lk := newTableLocker()
	var announced []string
	o := New(Config{Node: "a", Resources: []string{"platform/x"}, Locker: lk,
		Healthy: func() []string { return []string{"a"} },
		Changed: func(owned []string) { announced = owned },
		Logger:  slog.New(slog.DiscardHandler)})
	ctx := t.Context()
	o.Step(ctx)
	if got := lk.names(); !slices.Equal(got, []string{"owner/platform/x"}) {
		t.Fatalf("locks after the first step: %v", got)
	}
	o.SetResources([]string{"platform/y"}, nil)
	o.Step(ctx)
	if got := lk.names(); !slices.Equal(got, []string{"owner/platform/y"}) {
		t.Fatalf("locks after x was removed and y added: %v, want only y's", got)
	}
	if _, ok := o.Token("platform/x"); ok {
		t.Fatal("the removed resource still has a token")
	}
	if !slices.Equal(announced, []string{"platform/y"}) || !slices.Equal(o.Owned(), []string{"platform/y"}) {
		t.Fatalf("announced %v, owned %v; want [platform/y]", announced, o.Owned())
	}
}

// hangingLocker grants, then never answers a renewal: a forwarded call
// swallowed by a partition.
type hangingLocker struct{ tableLocker }

func (h *hangingLocker) Renew(ctx context.Context, _, _ string, _ uint64) (locks.Lease, error) {
	<-ctx.Done()
	return locks.Lease{}, ctx.Err()
}

// A renewal that never answers ends at the lease's end: the step returns,
// the resource is dropped and the loss announced, instead of the node
// listing itself as owner for ever.
func TestHangingRenewalEndsAtTheLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lk := &hangingLocker{tableLocker{held: map[string]locks.Lease{}}}
		var announced []string
		o := New(Config{Node: "a", Resources: []string{"platform/x"}, Locker: lk, TTL: 4 * time.Second,
			Healthy: func() []string { return []string{"a"} },
			Changed: func(owned []string) { announced = owned },
			Logger:  slog.New(slog.DiscardHandler)})
		o.Step(t.Context())
		if !slices.Equal(announced, []string{"platform/x"}) {
			t.Fatalf("after the first step announced %v", announced)
		}
		start := time.Now()
		o.Step(t.Context())
		if waited := time.Since(start); waited != 4*time.Second {
			t.Fatalf("the hanging renewal took %v, want the lease's 4s", waited)
		}
		if len(announced) != 0 || len(o.Owned()) != 0 {
			t.Fatalf("after the lease: announced %v, owned %v; want nothing", announced, o.Owned())
		}
	})
}
