package syncengine_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/binding"
	"github.com/marketsync/marketsync/daemon/cache"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/jobs"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/daemon/syncengine"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
)

// finals signals every job that reaches a final state.
type finals chan job.State

func (f finals) JobChanged(_, to job.State, _ bool) {
	switch to {
	case job.State_STATE_SUCCEEDED, job.State_STATE_PARTIAL, job.State_STATE_FAILED, job.State_STATE_CANCELLED:
		f <- to
	}
}

type harness struct {
	t      testing.TB
	db     *store.DB
	jobs   *jobs.Store
	sys    *actor.ActorSystem
	store  *fakeStore
	pid    *actor.PID
	eng    *syncengine.Engine
	finals finals
	cfg    config.Sync
	// rate and burst limit the calls the platform actor makes a second
	// (default: no limit to speak of).
	rate  float64
	burst int
	// fence is the engine's Fence (nil: a lone agent); logs, when set,
	// hears the engine's log records.
	fence func(string) (uint64, bool)
	logs  slog.Handler
	// plugin, when set, is the store's plugin instead of store, with
	// its config block as JSON.
	plugin       sdk.Plugin
	pluginConfig string

	mu     sync.Mutex
	events []outbox.Type
}

func rat(s string) *big.Rat {
	r, _ := new(big.Rat).SetString(s)
	return r
}

// pipelineConfig is the documented example pipeline at batch 50.
func pipelineConfig() config.Sync {
	return config.Sync{
		Name: "tb-shop", Source: "taobao", Target: "shop", BatchSize: 50,
		Fields: config.SyncFields{Title: []string{"en", "zh-CN"}, Description: []string{"en"}},
		Price: config.SyncPrice{Currency: "USD", Rate: rat("0.14"), Round: rat("0.99"),
			Rules: []config.PriceRule{{Below: rat("50"), Multiply: rat("2.5")}, {Multiply: rat("1.8"), Add: rat("3")}}},
		Stock:            config.SyncStock{OutOfStock: "zero"},
		OnVariantRemoved: "zero",
		Conflicts:        config.SyncConflicts{Default: "remote_wins", Fields: map[string]string{"price": "source_wins", "stock": "source_wins"}},
	}
}

func sourceProduct(i int, rev int) *model.Product {
	id := fmt.Sprint(600000 + i)
	p := &model.Product{
		Id: id, Source: "taobao",
		Title:       map[string]string{"zh-CN": "纯棉T恤 " + id, "en": fmt.Sprintf("Cotton T-shirt %s r%d", id, rev)},
		Description: map[string]string{"en": "Cotton, loose fit"},
		Images:      []*model.Image{{Url: "https://img.example/" + id + ".jpg"}},
	}
	for _, size := range []string{"S", "M", "L"} {
		p.Variants = append(p.Variants, &model.Variant{Sku: id + "-" + size, Options: []*model.Option{{Name: "Size", Value: size}},
			Price: &model.Money{Amount: 9900 + int64(i%7)*100, Currency: "CNY"}, Stock: 10})
	}
	return p
}

func newHarness(t testing.TB, n int, edit func(*harness)) *harness {
	h := &harness{t: t, store: newFakeStore(1000), finals: make(finals, 16), cfg: pipelineConfig()}
	if edit != nil {
		edit(h)
	}
	h.db = storetest.Open(t, store.Options{InMemory: true})
	js, err := jobs.New(h.db)
	if err != nil {
		t.Fatal(err)
	}
	h.jobs = js
	h.putCatalogue(n, 0)
	h.sys = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	plugin, config := sdk.Plugin(h.store), `{}`
	if h.plugin != nil {
		plugin, config = h.plugin, h.pluginConfig
	}
	conn, err := host.InProcess(context.Background(), plugin)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Configure(context.Background(), []byte(config)); err != nil {
		t.Fatal(err)
	}
	if h.rate == 0 {
		h.rate, h.burst = 1e6, 1<<20
	}
	h.pid = h.sys.Root.Spawn(platform.Props(platform.Options{Name: "shop", Plugin: "fakestore", Conn: conn,
		RateLimit: &platform.RateLimit{Rate: h.rate, Burst: h.burst}, FixedRate: true}))
	t.Cleanup(func() { _ = h.sys.Root.PoisonFuture(h.pid).Wait() })
	h.start(nil)
	return h
}

func (h *harness) start(c *cache.Cache) {
	limits := h.store.Describe().Limits
	if h.plugin != nil {
		limits = h.plugin.Describe().Limits
	}
	var log *slog.Logger
	if os.Getenv("SYNC_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if h.logs != nil {
		log = slog.New(h.logs)
	}
	eng, err := syncengine.New(syncengine.Options{
		DB: h.db, Jobs: h.jobs, Root: h.sys.Root, Pipelines: []config.Sync{h.cfg}, Cache: c,
		Platforms: func(name string) (syncengine.Platform, bool) {
			return syncengine.Platform{PID: h.pid, Plugin: "fakestore", Limits: limits}, name == "shop"
		},
		Events: func(_ *store.Txn, t outbox.Type, _ any) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.events = append(h.events, t)
			return nil
		},
		ChangedWait: 10 * time.Millisecond,
		Fence:       h.fence,
		Observer:    h.finals,
		Logger:      log,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := eng.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.eng = eng
	h.t.Cleanup(func() { _ = eng.Stop(context.Background()) })
}

// putCatalogue stores products 0..n-1 at revision rev, as collect would.
func (h *harness) putCatalogue(n, rev int) {
	h.t.Helper()
	h.edit(n, func(int, *model.Product) {}, rev)
}

// edit applies fn to products 0..n-1 of the catalogue (rev sets their
// title's revision).
func (h *harness) edit(n int, fn func(i int, p *model.Product), rev int) {
	h.t.Helper()
	for start := 0; start < n; start += 200 {
		if err := h.db.Update(func(txn *store.Txn) error {
			for i := start; i < min(start+200, n); i++ {
				p := sourceProduct(i, rev)
				fn(i, p)
				if err := catalog.Put(txn, "taobao", p, time.Now()); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			h.t.Fatal(err)
		}
	}
}

// sync runs the pipeline and waits for its job to end.
func (h *harness) sync(ids ...string) *job.Job {
	h.t.Helper()
	j, err := h.eng.Run("tb-shop", ids)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.wait(j.GetId())
}

func (h *harness) wait(id string) *job.Job {
	h.t.Helper()
	select {
	case <-h.finals:
	case <-time.After(time.Minute):
		h.t.Fatalf("job %s did not finish", id)
	}
	if id == "" {
		return nil
	}
	j, err := h.jobs.Get(id)
	if err != nil {
		h.t.Fatal(err)
	}
	return j
}

func (h *harness) remoteID(srcID string) string {
	h.t.Helper()
	var id string
	if err := h.db.View(func(txn *store.Txn) error {
		b, err := binding.Get(txn, "taobao", srcID, "shop")
		if err != nil {
			return err
		}
		id = b.RemoteID
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func products() int {
	if testing.Short() {
		return 200
	}
	return 1000
}

// The seed's case: 1,000 products (200 under -short) at batch 50 are
// 20 UpsertProducts calls (4), counted by the store; a second run with
// nothing changed writes nothing; 10 % of the titles changed costs 10 %
// of the writes; a price-only change goes through SetPrices alone and a
// stock-only one through SetInventory alone, with the expected stock.
func TestChangeDetectionAndBatchCounts(t *testing.T) {
	n := products()
	h := newHarness(t, n, nil)

	j := h.sync()
	calls := h.store.takeCalls()
	if j.GetState() != job.State_STATE_SUCCEEDED || int(j.GetSucceeded()) != n || int(j.GetTotal()) != n {
		t.Fatalf("first run: %v", j)
	}
	if got, want := calls["upsert"], ceilDiv(n, 50); got != want {
		t.Errorf("first run: %d upsert calls at the store, want ⌈%d ÷ 50⌉ = %d (all calls %v)", got, n, want, calls)
	}
	if calls["prices"]+calls["inventory"] != 0 {
		t.Errorf("first run: cheap writes %v", calls)
	}
	if h.store.count() != n {
		t.Fatalf("the store holds %d products, want %d", h.store.count(), n)
	}
	if got := j.GetWrites()["upsert_products"]; int(got) != ceilDiv(n, 50) {
		t.Errorf("the job counted %d upserts", got)
	}

	j = h.sync()
	if calls := h.store.takeCalls(); len(calls) != 0 || j.GetTotal() != 0 || j.GetState() != job.State_STATE_SUCCEEDED {
		t.Fatalf("second run with nothing changed: calls %v, job %v", calls, j)
	}

	// 10 % of the titles change: a full update each, 10 % of the calls.
	changed := n / 10
	h.edit(changed, func(int, *model.Product) {}, 1)
	j = h.sync()
	calls = h.store.takeCalls()
	if int(j.GetTotal()) != changed || int(j.GetSucceeded()) != changed {
		t.Fatalf("10 %% run: %v", j)
	}
	if got, want := calls["upsert"], ceilDiv(changed, 50); got != want || got > ceilDiv(ceilDiv(n, 50), 10) {
		t.Errorf("10 %% run: %d upserts, want %d (≤ 10 %% of %d)", got, want, ceilDiv(n, 50))
	}
	if calls["prices"]+calls["inventory"] != 0 {
		t.Errorf("10 %% run: cheap writes %v", calls)
	}
	p := h.store.product(h.remoteID("600000"))
	if p.Title["en"] != "Cotton T-shirt 600000 r1" {
		t.Errorf("title in the store %q", p.Title)
	}

	// Price only: 3 SKUs each, SetPrices alone.
	h.edit(changed, func(_ int, p *model.Product) {
		for _, v := range p.Variants {
			v.Price.Amount += 1000
		}
	}, 1)
	j = h.sync()
	calls = h.store.takeCalls()
	if calls["upsert"] != 0 || calls["inventory"] != 0 || calls["prices"] != ceilDiv(3*changed, 50) {
		t.Errorf("price-only run: calls %v, want only %d SetPrices", calls, ceilDiv(3*changed, 50))
	}
	if int(j.GetSucceeded()) != changed {
		t.Errorf("price-only run: %v", j)
	}
	p = h.store.product(h.remoteID("600000"))
	// 109.00 CNY × 0.14 = 15.26 USD × 2.5 = 38.15 → 38.99.
	if got := p.Variants[0].Price; got.Amount != 3899 || got.Currency != "USD" {
		t.Errorf("price in the store %+v, want 38.99 USD", got)
	}

	// Stock only, compare-and-set.
	h.edit(changed, func(_ int, p *model.Product) {
		for _, v := range p.Variants {
			v.Price.Amount += 1000
			v.Stock = 4
		}
	}, 1)
	j = h.sync()
	calls = h.store.takeCalls()
	if calls["upsert"] != 0 || calls["prices"] != 0 || calls["inventory"] != ceilDiv(3*changed, 50) {
		t.Errorf("stock-only run: calls %v", calls)
	}
	if int(j.GetSucceeded()) != changed || j.GetWrites()["set_inventory"] != int32(ceilDiv(3*changed, 50)) {
		t.Errorf("stock-only run: %v", j)
	}
	if p := h.store.product(h.remoteID("600001")); p.Variants[2].Stock != 4 {
		t.Errorf("stock in the store %d, want 4", p.Variants[2].Stock)
	}
}
