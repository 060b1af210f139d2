package outbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
)

// TestSlowSinkDoesNotHoldUpOthers: while one sink takes its time over a
// delivery (here: it does not answer until the test lets it), another
// sink listed after it receives all its events, in order.
func TestSlowSinkDoesNotHoldUpOthers(t *testing.T) {
	clk := newClock()
	db := storetest.Open(t, store.Options{InMemory: true})
	release := make(chan struct{})
	entered := make(chan struct{}, 100)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) }) // runs before slow.Close
	fast := newReceiver(t, clk)
	ids := enqueue(t, db, 60, "slow", "fast") // more than one read's worth
	d := outbox.New(outbox.Options{DB: db, Clock: clk, Client: &http.Client{},
		Sinks: []outbox.Sink{{Name: "slow", URL: slow.URL, Secret: secret}, {Name: "fast", URL: fast.URL, Secret: secret}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	<-entered                             // the slow sink holds its first delivery
	guard := time.After(30 * time.Second) // a failure bound, not a wait
	var got []string
	for range ids {
		select {
		case e := <-fast.got:
			got = append(got, e.ID)
		case <-guard:
			t.Fatalf("the fast sink got %d of %d events while the slow one held its delivery", len(got), len(ids))
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("the fast sink got %d events out of order", len(got))
	}
}
