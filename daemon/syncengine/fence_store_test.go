package syncengine_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/jobs"
	shopifysim "github.com/marketsync/marketsync/plugins/shopify/sim"
	shopify "github.com/marketsync/marketsync/plugins/shopify/store"
	"github.com/marketsync/marketsync/sdk/model"
)

// gate forwards to the store and holds its n-th mutation document until
// released: the write of a node that stopped with a call on the wire.
type gate struct {
	next      http.Handler
	n         int32
	seen      atomic.Int32
	held      chan struct{}
	release   chan struct{}
	forwarded chan struct{}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	if strings.Contains(string(body), `"mutation `) && g.seen.Add(1) == g.n {
		close(g.held)
		<-g.release
		defer close(g.forwarded)
	}
	g.next.ServeHTTP(w, r)
}

// shopifyNode is a node syncing to the Shopify simulator through the real
// plugin (in process) at endpoint, under lease l.
func shopifyNode(t *testing.T, n int, sim *shopifysim.Running, endpoint string, l *lease, logs slog.Handler) *harness {
	o := sim.Options()
	cfg, _ := json.Marshal(map[string]any{
		shopify.FieldShop: o.Shop, shopify.FieldAccessToken: o.Token, shopify.FieldAppSecret: o.Secret,
		shopify.FieldLocationID: shopifysim.LocationID, shopify.FieldEndpoint: endpoint,
		shopify.FieldBulkThreshold: 100, shopify.FieldBulkPollInterval: "1ms",
	})
	return newHarness(t, n, func(h *harness) {
		h.fence, h.plugin, h.pluginConfig, h.logs = l.fence, shopify.New(), string(cfg), logs
		h.cfg.Price.Currency = "USD"
	})
}

// Two nodes sync one catalogue to one Shopify store (the real plugin, the
// simulator as the far side). The first is stopped with a write on the
// wire; its lease passes to the second, which syncs everything under a
// larger token. When the first one's write arrives, the store refuses it
// for its stale token: the simulator counts the refusal and no write
// accepted under the old token after the takeover, the plugin reports it
// as CONFLICT stale_fencing_token, and the first node records that on the
// batch's items without retrying, then pauses as not the owner.
func TestStaleOwnersWriteRefusedByTheStore(t *testing.T) {
	const n = 100 // two upsert calls of 50, five documents each
	sim := shopifysim.ServeTest(t, shopifysim.Options{BucketSize: 1e7, RestoreRate: 1e6})
	g := &gate{next: sim.Handler(), n: 6, held: make(chan struct{}), release: make(chan struct{}), forwarded: make(chan struct{})}
	front := httptest.NewServer(g)
	t.Cleanup(front.Close)

	la, lb := &lease{token: 1, held: true}, &lease{}
	paused := logSignal{match: "sync job paused", ch: make(chan string, 4)}
	a := shopifyNode(t, n, sim, front.URL, la, paused)
	ja, err := a.eng.Run("tb-shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-g.held // a's second call is on the wire
	before := sim.Fencing()
	if before.Accepted[1] != 5 {
		t.Fatalf("documents accepted from a before it stopped: %+v", before)
	}

	// a's lease lapses; b takes the store over and syncs.
	la.set(1, false)
	lb.set(2, true)
	b := shopifyNode(t, n, sim, sim.URL, lb, nil)
	if jb := b.sync(); jb.GetState() != job.State_STATE_SUCCEEDED || jb.GetSucceeded() != n {
		t.Fatalf("b's run: %v", jb)
	}

	close(g.release)
	<-g.forwarded
	<-paused.ch
	after := sim.Fencing()
	if after.Accepted[1] != before.Accepted[1] || after.Refused[1] != 1 || after.Accepted[2] != 10 || after.Accepted[0] != 0 {
		t.Fatalf("the store saw %+v; want a's 5 documents under 1 and nothing more, its held one refused once, b's 10 under 2", after)
	}
	if got := sim.ProductCount(); got != n {
		t.Fatalf("the store holds %d products, want %d", got, n)
	}
	got, err := a.jobs.Get(ja.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetSucceeded() != 50 || got.GetFailed() != 50 || got.GetState() != job.State_STATE_RUNNING {
		t.Fatalf("a's job %v; want 50 written, 50 failed as stale, paused", got)
	}
	failed := job.ItemState_ITEM_FAILED
	items, err := a.jobs.Items(ja.GetId(), jobs.ItemFilter{State: &failed})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if e := it.GetError(); e.GetKind() != model.KindConflict || e.GetCode() != model.CodeStaleFencingToken || it.GetAttempts() != 1 {
			t.Fatalf("item %s: %v after %d attempts; want CONFLICT %s, not retried", it.GetId(), e, it.GetAttempts(), model.CodeStaleFencingToken)
		}
	}
}
