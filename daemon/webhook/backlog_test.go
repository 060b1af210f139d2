package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/daemon/webhook"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// headerVerifier takes every delivery as genuine and reads its id and
// product from headers, so a test can record thousands of events cheaply.
func headerVerifier(_ context.Context, _ string, d webhook.Delivery) (webhook.Event, error) {
	return webhook.Event{DeliveryID: d.Headers["id"], Topic: "products/update", RemoteIDs: []string{d.Headers["product"]}}, nil
}

// platformResyncer fails the platforms in fail and counts, per platform,
// the ids it accepted and the calls it got.
type platformResyncer struct {
	mu    sync.Mutex
	fail  map[string]bool
	ids   map[string]int
	calls chan string
}

func newPlatformResyncer(fail ...string) *platformResyncer {
	r := &platformResyncer{fail: map[string]bool{}, ids: map[string]int{}, calls: make(chan string, 100)}
	for _, p := range fail {
		r.fail[p] = true
	}
	return r
}

func (r *platformResyncer) Changed(_ context.Context, platform string, ids []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls <- platform
	if r.fail[platform] {
		return errors.New("the sync engine cannot take this platform now")
	}
	r.ids[platform] += len(ids)
	return nil
}

func (r *platformResyncer) accepted(platform string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids[platform]
}

// deliveries numbers the test deliveries, so that none is a duplicate.
var deliveries atomic.Int64

func record(t *testing.T, r *webhook.Receiver, platform string, n int) {
	t.Helper()
	for range n {
		i := deliveries.Add(1)
		d := webhook.Delivery{Headers: map[string]string{"id": fmt.Sprint(platform, "-", i), "product": fmt.Sprint(i)}, Body: []byte("{}")}
		if out, _, err := r.Receive(context.Background(), platform, d); err != nil || out != webhook.Accepted {
			t.Fatalf("Receive %s #%d: %s, %v", platform, i, out, err)
		}
	}
}

func newBacklogReceiver(t *testing.T, rs webhook.Resyncer, obs webhook.Observer) (*webhook.Receiver, *simkit.FakeClock) {
	t.Helper()
	r, clk, _ := newBacklogReceiverDB(t, rs, obs)
	return r, clk
}

func newBacklogReceiverDB(t *testing.T, rs webhook.Resyncer, obs webhook.Observer) (*webhook.Receiver, *simkit.FakeClock, *store.DB) {
	t.Helper()
	clk := simkit.NewFakeClock(t0)
	db := storetest.Open(t, store.Options{InMemory: true})
	return webhook.New(webhook.Options{DB: db, Verify: headerVerifier, Resyncer: rs, Observer: obs, Clock: clk,
		Rate: 1e6, Burst: 1e6}), clk, db
}

// TestBacklogOverOneBatch: more events than one round reads are all
// handed on, the next round being due at once rather than at the next
// delivery or sweep.
func TestBacklogOverOneBatch(t *testing.T) {
	rs := newPlatformResyncer()
	r, clk := newBacklogReceiver(t, rs, nil)
	n := webhook.ReadBatch + webhook.ReadBatch/2
	record(t, r, "a", n)
	next, err := r.HandleDue(context.Background())
	if err != nil || !next.Equal(clk.Now()) {
		t.Fatalf("first round: next %s, %v; want now (%s): a full batch was read", next, err, clk.Now())
	}
	if got := rs.accepted("a"); got != webhook.ReadBatch {
		t.Fatalf("first round handed %d events, want %d", got, webhook.ReadBatch)
	}
	if next, err := r.HandleDue(context.Background()); err != nil || !next.IsZero() {
		t.Fatalf("second round: next %s, %v; want nothing left to wait for", next, err)
	}
	if got, left := rs.accepted("a"), queueLen(t, r); got != n || left != 0 {
		t.Errorf("handed %d of %d events, %d left queued", got, n, left)
	}
}

// TestRunDrainsBacklog: Run hands on a backlog larger than one round,
// left by a previous run, without a delivery waking it and without the
// clock moving.
func TestRunDrainsBacklog(t *testing.T) {
	rs := newPlatformResyncer()
	before, clk, db := newBacklogReceiverDB(t, nil, nil)
	n := webhook.ReadBatch + 10
	record(t, before, "a", n)
	r := webhook.New(webhook.Options{DB: db, Verify: headerVerifier, Resyncer: rs, Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	guard := time.After(30 * time.Second) // a failure bound, not a wait: the rounds run at once
	for range 2 {
		select {
		case <-rs.calls:
		case <-guard:
			t.Fatalf("Run handed %d of %d events and stopped", rs.accepted("a"), n)
		}
	}
	if got := rs.accepted("a"); got != n {
		t.Errorf("handed %d events, want %d", got, n)
	}
}

// TestBackingOffPlatformDoesNotStarveOthers: a platform whose re-syncs
// fail, with more events queued than one round reads, does not keep
// another platform's events, recorded after its own, from being handed
// on; its own events are kept.
func TestBackingOffPlatformDoesNotStarveOthers(t *testing.T) {
	rs, obs := newPlatformResyncer("failing"), newCounts()
	r, clk := newBacklogReceiver(t, rs, obs)
	nf := webhook.ReadBatch + 200
	record(t, r, "failing", nf)
	record(t, r, "healthy", 3)
	ctx := context.Background()
	next, err := r.HandleDue(ctx)
	if err != nil || !next.Equal(clk.Now()) {
		t.Fatalf("first round: next %s, %v; want now", next, err)
	}
	next, err = r.HandleDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.accepted("healthy"); got != 3 {
		t.Fatalf("healthy platform: %d of 3 events handed on while the other backs off", got)
	}
	if want := clk.Now().Add(time.Second); !next.Equal(want) {
		t.Errorf("next round at %s, want the failing platform's retry at %s", next, want)
	}
	if left := queueLen(t, r); left != nf {
		t.Errorf("%d events queued, want the failing platform's %d kept", left, nf)
	}
	if got := obs.get(obs.handled, "failing failed"); got != webhook.ReadBatch {
		t.Errorf("failed = %d, want %d: the backed-off events are not tried again within the backoff", got, webhook.ReadBatch)
	}
}

// TestUndecodableEntryDeleted: a stored entry that cannot be decoded is
// deleted and counted; the events around it are handed on, this round
// and the next.
func TestUndecodableEntryDeleted(t *testing.T) {
	rs, obs := newPlatformResyncer(), newCounts()
	r, _, db := newBacklogReceiverDB(t, rs, obs)
	record(t, r, "a", 2)
	if err := db.Update(func(txn *store.Txn) error {
		return txn.Set(webhook.NS, []byte("q/00000000000000000000000000"), []byte("{not json"))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.HandleDue(context.Background()); err != nil {
		t.Fatalf("HandleDue with an undecodable entry: %v", err)
	}
	if got := rs.accepted("a"); got != 2 {
		t.Errorf("%d events handed on, want 2", got)
	}
	if left := queueLen(t, r); left != 0 {
		t.Errorf("%d entries left, want the undecodable one deleted", left)
	}
	if got := obs.get(obs.handled, " undecodable"); got != 1 {
		t.Errorf("undecodable = %d, want 1", got)
	}
	record(t, r, "a", 1)
	if _, err := r.HandleDue(context.Background()); err != nil || rs.accepted("a") != 3 {
		t.Errorf("next round: %d handed, %v", rs.accepted("a"), err)
	}
}
