package events_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/events"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk/simkit"
)

var (
	t0     = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	secret = []byte("whsec_erp")
)

// delivery is one request a receiver accepted.
type delivery struct {
	header http.Header
	body   []byte
	event  outbox.Event
}

// receiver is an ERP's endpoint: it checks the signature as documented
// (outbox.Verify, 5 minutes' tolerance on the fake clock), answers 503
// while down, and passes on what it accepted.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	down bool
	got  chan delivery
}

func newReceiver(t *testing.T, clk *simkit.FakeClock) *receiver {
	r := &receiver{got: make(chan delivery, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := outbox.Verify(secret, req.Header.Get(outbox.SignatureHeader), body, clk.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		down := r.down
		r.mu.Unlock()
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var e outbox.Event
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		r.got <- delivery{header: req.Header.Clone(), body: body, event: e}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

func newEmitter(db *store.DB, clk *simkit.FakeClock, attempts chan outbox.Attempt) *events.Emitter {
	return events.New(events.Options{DB: db, Clock: clk, BaseDelay: 5 * time.Second, MaxDelay: time.Minute,
		OnAttempt: func(a outbox.Attempt) {
			if attempts != nil {
				attempts <- a
			}
		}})
}

func sink(name, url string, types ...outbox.Type) events.Sink {
	return events.Sink{Sink: outbox.Sink{Name: name, URL: url, Secret: secret}, Events: types}
}

func status(t *testing.T, e *events.Emitter) map[string]events.SinkStatus {
	t.Helper()
	list, err := e.Status()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]events.SinkStatus{}
	for _, s := range list {
		out[s.Name] = s
	}
	return out
}

// TestEmitIsAtomic: events are stored with the transaction that emits
// them, for the sinks subscribed to their type only, and not at all when
// it rolls back.
func TestEmitIsAtomic(t *testing.T) {
	clk := simkit.NewFakeClock(t0)
	db := storetest.Open(t, store.Options{InMemory: true})
	e := newEmitter(db, clk, nil)
	// Unreachable sinks: nothing is delivered, so the queues show what
	// was stored. Delivery is not started until SetSinks.
	e.SetSinks([]events.Sink{sink("erp", "http://127.0.0.1:1/", outbox.JobFinished), sink("audit", "http://127.0.0.1:1/")})
	e.Close()
	rollback := errors.New("the change failed")
	err := db.Update(func(txn *store.Txn) error {
		if err := e.Emit(txn, outbox.JobFinished, events.JobFinished{JobID: "01J", State: "succeeded"}); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if st := status(t, e); st["erp"].Pending != 0 || st["audit"].Pending != 0 {
		t.Fatalf("a rolled back transaction left events: %+v", st)
	}
	err = db.Update(func(txn *store.Txn) error {
		if err := e.Emit(txn, outbox.JobFinished, events.JobFinished{JobID: "01J", State: "succeeded"}); err != nil {
			return err
		}
		return e.Emit(txn, outbox.ProductCollected, events.ProductCollected{Platform: "taobao", ProductID: "6200"})
	})
	if err != nil {
		t.Fatal(err)
	}
	st := status(t, e)
	if st["erp"].Pending != 1 || st["audit"].Pending != 2 || !st["erp"].Oldest.Equal(t0) {
		t.Errorf("after the commit: erp %+v, audit %+v; want 1 (job.finished only) and 2", st["erp"], st["audit"])
	}
	if err := e.Publish("product.deleted", nil); err == nil {
		t.Error("an unknown event type was accepted")
	}
}

// TestDeliveredAfterRestart: a sink that is down keeps its events across
// a restart of the agent (Badger closed and reopened), and gets them,
// signed, once it is back; a replay of a delivery past the tolerance is
// refused by the receiver's check.
func TestDeliveredAfterRestart(t *testing.T) {
	clk := simkit.NewFakeClock(t0)
	r := newReceiver(t, clk)
	r.setDown(true)
	dir := t.TempDir()
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	attempts := make(chan outbox.Attempt, 10)
	e := newEmitter(db, clk, attempts)
	e.SetSinks([]events.Sink{sink("erp", r.URL)})
	for i := range 3 {
		if err := e.Publish(outbox.ProductCollected, events.ProductCollected{Platform: "taobao", ProductID: "6200", Variants: i}); err != nil {
			t.Fatal(err)
		}
	}
	if a := <-attempts; a.Err == nil {
		t.Fatalf("the sink is down, yet %+v", a)
	}
	e.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = storetest.Open(t, store.Options{Dir: dir, GCInterval: -1})
	r.setDown(false)
	e = newEmitter(db, clk, attempts)
	defer e.Close()
	if st := status(t, e); st["erp"].Configured || st["erp"].Pending != 3 {
		t.Fatalf("before SetSinks the queue is an orphan of 3: %+v", st["erp"])
	}
	e.SetSinks([]events.Sink{sink("erp", r.URL)})
	clk.Advance(5 * time.Second) // the stored backoff
	var got []int
	var first delivery
	for range 3 {
		d := <-r.got
		var data events.ProductCollected
		if err := json.Unmarshal(d.event.Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			first = d
		}
		got = append(got, data.Variants)
	}
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("delivered %v, want the 3 events in order", got)
	}
	if first.header.Get("X-Marketsync-Event") != "product.collected" || first.header.Get("X-Marketsync-Delivery") != first.event.ID {
		t.Errorf("headers %v", first.header)
	}
	replay := outbox.Verify(secret, first.header.Get(outbox.SignatureHeader), first.body, clk.Now().Add(6*time.Minute), 5*time.Minute)
	if replay == nil {
		t.Error("a delivery replayed 6 minutes later verified")
	}
}

// TestSinkDownBacksOff: a failing sink is retried with doubling waits,
// loses nothing, and the other sink is not held up.
func TestSinkDownBacksOff(t *testing.T) {
	clk := simkit.NewFakeClock(t0)
	db := storetest.Open(t, store.Options{InMemory: true})
	down, up := newReceiver(t, clk), newReceiver(t, clk)
	down.setDown(true)
	attempts := make(chan outbox.Attempt, 100)
	e := newEmitter(db, clk, attempts)
	defer e.Close()
	e.SetSinks([]events.Sink{sink("down", down.URL), sink("up", up.URL)})
	const n = 5
	// In one transaction, so that the failing sink's first attempt finds
	// them all: each sink is delivered by a goroutine of its own.
	if err := db.Update(func(txn *store.Txn) error {
		for i := range n {
			if err := e.Emit(txn, outbox.JobFinished, events.JobFinished{JobID: "job", Total: int32(i)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.Notify()
	for range n {
		<-up.got
	}
	for i, wait := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute} {
		a := <-attempts
		for a.Sink != "down" {
			a = <-attempts
		}
		if a.Err == nil || a.Failures != i+1 || a.Pending != n {
			t.Fatalf("attempt %d: %+v", i+1, a)
		}
		st := status(t, e)["down"]
		if got := st.NextAttempt.Sub(clk.Now()); got != wait {
			t.Errorf("after failure %d the sink waits %s, want %s", i+1, got, wait)
		}
		clk.Advance(wait)
	}
	a := <-attempts
	for a.Sink != "down" { // the healthy sink reports its own rounds too
		a = <-attempts
	}
	if a.Err == nil {
		t.Fatalf("still down, yet %+v", a)
	}
	down.setDown(false)
	clk.Advance(time.Minute)
	var totals []int32
	for range n {
		d := <-down.got
		var data events.JobFinished
		_ = json.Unmarshal(d.event.Data, &data)
		totals = append(totals, data.Total)
	}
	if !slices.Equal(totals, []int32{0, 1, 2, 3, 4}) {
		t.Errorf("after recovery the sink got %v", totals)
	}
}

// TestTypesMatchConfig: the event types config accepts are the outbox's.
func TestTypesMatchConfig(t *testing.T) {
	var names []string
	for _, t := range outbox.Types {
		names = append(names, string(t))
	}
	if !slices.Equal(names, config.EventTypes) {
		t.Errorf("outbox.Types %v, config.EventTypes %v", names, config.EventTypes)
	}
}

// TestStatusRedactsURL: the status, shown to read-only API callers,
// names a sink's URL without the credentials it may carry.
func TestStatusRedactsURL(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	e := newEmitter(db, simkit.NewFakeClock(t0), nil)
	t.Cleanup(e.Close)
	e.SetSinks([]events.Sink{sink("erp", "https://erp-user:pa55word@erp.example/hooks?token=s3cret")})
	if got, want := status(t, e)["erp"].URL, "https://xxxxx@erp.example/hooks?xxxxx"; got != want {
		t.Errorf("status URL %q, want %q", got, want)
	}
}
