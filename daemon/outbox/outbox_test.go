package outbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk/simkit"
)

var (
	t0     = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	secret = []byte("whsec_test")
)

// clock is simkit's fake clock that also announces every After call on
// waits, so a test knows when the Deliverer is waiting.
type clock struct {
	*simkit.FakeClock
	waits chan time.Duration
}

func newClock() *clock {
	return &clock{FakeClock: simkit.NewFakeClock(t0), waits: make(chan time.Duration, 16)}
}

func (c *clock) After(d time.Duration) <-chan time.Time {
	ch := c.FakeClock.After(d)
	c.waits <- d
	return ch
}

// receiver is a webhook endpoint that verifies signatures, fails while
// told to, and passes on what it accepted.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	fail int // answer 503 to this many more requests
	got  chan outbox.Event
	clk  *clock
	t    *testing.T
}

func newReceiver(t *testing.T, clk *clock) *receiver {
	r := &receiver{got: make(chan outbox.Event, 1000), clk: clk, t: t}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := outbox.Verify(secret, req.Header.Get(outbox.SignatureHeader), body, clk.Now(), 5*time.Minute); err != nil {
			r.t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var e outbox.Event
		if err := json.Unmarshal(body, &e); err != nil || req.Header.Get("X-Marketsync-Delivery") != e.ID || req.Header.Get("X-Marketsync-Event") != string(e.Type) {
			r.t.Errorf("body %s, headers %v: %v", body, req.Header, err)
		}
		r.mu.Lock()
		failing := r.fail > 0
		if failing {
			r.fail--
		}
		r.mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.got <- e
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) failNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

// received drains what was accepted so far.
func (r *receiver) received() []string {
	var ids []string
	for {
		select {
		case e := <-r.got:
			ids = append(ids, e.ID)
		default:
			return ids
		}
	}
}

func enqueue(t *testing.T, db *store.DB, n int, sinks ...string) []string {
	t.Helper()
	var ids []string
	err := db.Update(func(txn *store.Txn) error {
		for i := range n {
			e, err := outbox.NewEvent(outbox.ProductSynced, t0, map[string]any{"product": "6543210", "i": i, "title": "纯棉T恤"})
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
			if err := outbox.Enqueue(txn, e, sinks...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func pending(t *testing.T, db *store.DB, sink string) (int, outbox.SinkState) {
	t.Helper()
	var n int
	var st outbox.SinkState
	if err := db.View(func(txn *store.Txn) (err error) {
		n, st, err = outbox.Pending(txn, sink)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n, st
}

func TestDeliveryInOrder(t *testing.T) {
	clk := newClock()
	db := storetest.Open(t, store.Options{InMemory: true})
	r := newReceiver(t, clk)
	ids := enqueue(t, db, 120, "erp") // more than one read's worth
	d := outbox.New(outbox.Options{DB: db, Clock: clk, Sinks: []outbox.Sink{{Name: "erp", URL: r.URL, Secret: secret}}})
	next, err := d.DeliverDue(context.Background())
	if err != nil || !next.IsZero() {
		t.Fatalf("DeliverDue = %v, %v", next, err)
	}
	if got := r.received(); !slices.Equal(got, ids) {
		t.Errorf("received %d events, want the %d enqueued in order", len(got), len(ids))
	}
	if n, _ := pending(t, db, "erp"); n != 0 {
		t.Errorf("%d events still pending", n)
	}
}

func TestFailingSinkBacksOffAndKeepsEvents(t *testing.T) {
	clk := newClock()
	db := storetest.Open(t, store.Options{InMemory: true})
	bad, good := newReceiver(t, clk), newReceiver(t, clk)
	var mu sync.Mutex // sinks are delivered at once
	var attempts []outbox.Attempt
	d := outbox.New(outbox.Options{
		DB: db, Clock: clk, BaseDelay: 10 * time.Second, MaxDelay: 30 * time.Second,
		Sinks: []outbox.Sink{
			{Name: "bad", URL: bad.URL, Secret: secret},
			{Name: "good", URL: good.URL, Secret: secret},
		},
		OnAttempt: func(a outbox.Attempt) {
			mu.Lock()
			attempts = append(attempts, a)
			mu.Unlock()
		},
	})
	ids := enqueue(t, db, 3, "bad", "good")
	bad.failNext(4)
	ctx := context.Background()

	// Each failure doubles the wait, up to the maximum: 10s, 20s, 30s, 30s.
	for i, wait := range []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second, 30 * time.Second} {
		next, err := d.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := clk.Now().Add(wait); !next.Equal(want) {
			t.Errorf("failure %d: next attempt %s, want %s", i+1, next, want)
		}
		n, st := pending(t, db, "bad")
		if n != 3 || st.Failures != i+1 || st.LastError != "HTTP 503 Service Unavailable" {
			t.Errorf("failure %d: pending %d, state %+v", i+1, n, st)
		}
		// Not due yet: nothing is sent.
		clk.Advance(wait - time.Second)
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	if got := good.received(); !slices.Equal(got, ids) {
		t.Errorf("the healthy sink got %v, want %v", got, ids)
	}
	if got := bad.received(); len(got) != 0 {
		t.Errorf("the failing sink accepted %v", got)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := bad.received(); !slices.Equal(got, ids) {
		t.Errorf("after recovery the sink got %v, want %v", got, ids)
	}
	if n, st := pending(t, db, "bad"); n != 0 || st.Failures != 0 {
		t.Errorf("after recovery: pending %d, state %+v", n, st)
	}
	failures := 0
	for _, a := range attempts {
		if a.Err != nil {
			failures++
			if a.Sink != "bad" || a.Event.ID != ids[0] || a.Pending != 3 || a.Failures != failures {
				t.Errorf("attempt %+v", a)
			}
		}
	}
	if failures != 4 || len(attempts) != 10 {
		t.Errorf("%d attempts, %d failed; want 10 and 4", len(attempts), failures)
	}
}

// TestSurvivesRestart: events and a sink's backoff are read back by a new
// Deliverer on a reopened database.
func TestSurvivesRestart(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	r := newReceiver(t, clk)
	sinks := []outbox.Sink{{Name: "erp", URL: r.URL, Secret: secret}}
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ids := enqueue(t, db, 2, "erp")
	r.failNext(1)
	next, err := outbox.New(outbox.Options{DB: db, Clock: clk, Sinks: sinks, BaseDelay: time.Minute}).DeliverDue(context.Background())
	if err != nil || next.IsZero() {
		t.Fatalf("DeliverDue = %v, %v", next, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = storetest.Open(t, store.Options{Dir: dir, GCInterval: -1})
	d := outbox.New(outbox.Options{DB: db, Clock: clk, Sinks: sinks, BaseDelay: time.Minute})
	if again, _ := d.DeliverDue(context.Background()); !again.Equal(next) || len(r.received()) != 0 {
		t.Errorf("after a restart the backoff was not kept: next %s, want %s", again, next)
	}
	clk.Advance(time.Minute)
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.received(); !slices.Equal(got, ids) {
		t.Errorf("received %v, want %v", got, ids)
	}
}

// TestRun: the loop delivers on Notify, waits for a failed sink's backoff
// on the clock, and stops with its context.
func TestRun(t *testing.T) {
	clk := newClock()
	db := storetest.Open(t, store.Options{InMemory: true})
	r := newReceiver(t, clk)
	d := outbox.New(outbox.Options{DB: db, Clock: clk, BaseDelay: 10 * time.Second,
		Sinks: []outbox.Sink{{Name: "erp", URL: r.URL, Secret: secret}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()

	ids := enqueue(t, db, 1, "erp")
	d.Notify()
	if e := <-r.got; e.ID != ids[0] {
		t.Errorf("got %s, want %s", e.ID, ids[0])
	}

	r.failNext(1)
	ids = enqueue(t, db, 1, "erp")
	d.Notify()
	for wait := range clk.waits { // the loop waits for the backoff
		if wait == 10*time.Second {
			break
		}
	}
	clk.Advance(10 * time.Second)
	if e := <-r.got; e.ID != ids[0] {
		t.Errorf("got %s, want %s", e.ID, ids[0])
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run = %v", err)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	h := outbox.Sign(secret, t0, body)
	for name, tc := range map[string]struct {
		header string
		body   []byte
		secret []byte
		now    time.Time
		ok     bool
	}{
		"valid":           {h, body, secret, t0.Add(time.Minute), true},
		"other body":      {h, []byte(`{"id":"y"}`), secret, t0, false},
		"other secret":    {h, body, []byte("nope"), t0, false},
		"too old":         {h, body, secret, t0.Add(6 * time.Minute), false},
		"malformed":       {"v1=abc", body, secret, t0, false},
		"rotated secrets": {h + ",v1=00", body, secret, t0, true},
	} {
		if err := outbox.Verify(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute); (err == nil) != tc.ok {
			t.Errorf("%s: Verify = %v", name, err)
		}
	}
	// The documented format.
	if want := "t=1796115600,v1="; h[:len(want)] != want {
		t.Errorf("header %q", h)
	}
}

// TestPollFindsLateCommits: with PollInterval, an event whose Notify came
// before its commit is delivered at the next poll.
func TestPollFindsLateCommits(t *testing.T) {
	clk := newClock()
	db := storetest.Open(t, store.Options{InMemory: true})
	r := newReceiver(t, clk)
	d := outbox.New(outbox.Options{DB: db, Clock: clk, PollInterval: time.Second,
		Sinks: []outbox.Sink{{Name: "erp", URL: r.URL, Secret: secret}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	if wait := <-clk.waits; wait != time.Second {
		t.Fatalf("idle loop waits %s, want the poll interval", wait)
	}
	ids := enqueue(t, db, 1, "erp") // no Notify
	clk.Advance(time.Second)
	if e := <-r.got; e.ID != ids[0] {
		t.Errorf("got %s, want %s", e.ID, ids[0])
	}
	cancel()
	<-done
}

// TestStopMidPostIsNoFailure: a delivery cut by the Deliverer's own stop
// leaves the event queued and the sink's state clean.
func TestStopMidPostIsNoFailure(t *testing.T) {
	clk := newClock()
	db := storetest.Open(t, store.Options{InMemory: true})
	entered, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ids := enqueue(t, db, 1, "erp")
	d := outbox.New(outbox.Options{DB: db, Clock: clk, Sinks: []outbox.Sink{{Name: "erp", URL: srv.URL, Secret: secret}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	<-entered
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run = %v", err)
	}
	var st outbox.Stat
	if err := db.View(func(txn *store.Txn) (err error) { st, err = outbox.StatOf(txn, "erp"); return err }); err != nil {
		t.Fatal(err)
	}
	if st.Pending != 1 || st.State.Failures != 0 || !st.Oldest.Equal(t0) {
		t.Errorf("after a stop mid-post: %+v, want the event %s pending and no failure", st, ids[0])
	}
}

func TestQueues(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	enqueue(t, db, 3, "erp", "erp-b", "erp0", "audit")
	var got []string
	if err := db.View(func(txn *store.Txn) (err error) { got, err = outbox.Queues(txn); return err }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"audit", "erp", "erp-b", "erp0"}; !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Errorf("Queues = %v, want %v", got, want)
	}
}
