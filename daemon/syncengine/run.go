package syncengine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/actors/sync/batch"
	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/actors/sync/resolve"
	"github.com/marketsync/marketsync/daemon/binding"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/conflict"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/snapshot"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

// Codes of the failures the engine makes up for sync items.
const (
	CodeNotCollected = "not_collected"
	CodeRender       = "render"
	CodeBinding      = "binding"
)

// maxChunk bounds the products of one checkpoint, whatever the plugin's
// upsert cap: their snapshots and decisions go into one transaction.
const maxChunk = 200

// run is one sync job being worked through.
type run struct {
	e      *Engine
	p      *pipeline
	job    *job.Job
	log    *slog.Logger
	target Platform
	// cancelled says the run was stopped by Cancel rather than by the
	// engine's Stop: the job then ends instead of waiting for a restart.
	cancelled func() bool
	// paused says the run left its job unfinished because this node
	// does not own the target.
	paused bool
}

// entry is one product of a chunk on its way through the steps.
type entry struct {
	it      *job.Item
	product *model.Product // from the catalogue
	listing *render.Listing
	hash    snapshot.Hash
	bind    *binding.Binding
	snap    *snapshot.Snapshot
	// remote is the store's product now; nil when it has none (create).
	// fresh says it was read from the store in this run rather than
	// taken from the remote_product cache.
	remote   *model.Product
	remoteID string
	fresh    bool
	res      *resolve.Result
	// resolved are manual conflicts settled by a person, to apply now;
	// open the ones still waiting, whose fields are left alone.
	resolved []*conflict.Conflict
	// writes pending for the entry, and how many came back ok.
	writes, done int
	err          *model.Error
}

func (r *run) loop(ctx context.Context) {
	target, ok := r.e.opts.Platforms(r.p.cfg.Target)
	if !ok {
		r.e.finishUnrunnable(r.job, fmt.Sprintf("platform %q is not configured, or its plugin does not publish to a store", r.p.cfg.Target))
		return
	}
	r.target = target
	if r.job.Writes == nil {
		r.job.Writes = map[string]int32{}
	}
	if r.job.GetState() == job.State_STATE_QUEUED {
		r.job.StartedAt = ts(time.Now())
		r.setState(job.State_STATE_RUNNING)
		if err := r.e.opts.Jobs.Save(r.job); err != nil {
			r.log.Error("cannot save sync job", "error", err)
		}
	}
	items, err := r.e.opts.Jobs.Pending(r.job.GetId())
	if err != nil {
		r.e.finishUnrunnable(r.job, fmt.Sprintf("cannot load pending items: %v", err))
		return
	}
	chunk := min(r.size(sdk.OpUpsertProducts), maxChunk)
	for len(items) > 0 {
		if ctx.Err() != nil {
			r.stopped(len(items))
			return
		}
		if _, ok := r.e.fence(r.p.cfg.Target); !ok {
			r.notOwner(len(items))
			return
		}
		n := min(chunk, len(items))
		if err := r.chunk(ctx, items[:n]); errors.Is(err, ErrNotOwner) {
			// The job store refused the checkpoint: another node owns
			// the target now and goes on with the job from its record.
			r.notOwner(len(items))
			return
		} else if err != nil {
			r.log.Error("sync job failed: a batch cannot be checkpointed", "error", err)
			r.e.finishUnrunnable(r.job, "cannot checkpoint a batch: "+err.Error())
			return
		}
		items = items[n:]
	}
	if ctx.Err() != nil {
		r.stopped(0)
		return
	}
	if _, ok := r.e.fence(r.p.cfg.Target); !ok {
		// The last batch's writes may have been refused and left pending.
		r.notOwner(0)
		return
	}
	r.finish()
}

// notOwner leaves the job unfinished when this node no longer owns the
// run's target: it writes nothing more, and the job resumes here if the
// node owns the target again (Reconcile).
func (r *run) notOwner(pending int) {
	r.paused = true
	r.log.Warn("sync job paused: "+r.notOwnerError().GetMessage(), "pending", pending)
}

// notOwnerError is what a write this node may not make fails with.
func (r *run) notOwnerError() *model.Error {
	return model.Conflict(model.CodeNotOwner, fmt.Sprintf("not the owner of platform %s: this node holds no lease on it, so it writes nothing there", r.p.cfg.Target))
}

// stopped ends a run cut short: cancelled, the job ends; stopped with the
// engine, it stays running in the store and resumes at the next start;
// stopped by Reconcile (this node lost the target), it is paused.
func (r *run) stopped(pending int) {
	r.e.mu.Lock()
	engineStopped := r.e.stopped
	r.e.mu.Unlock()
	switch {
	case r.cancelled():
		r.end(job.State_STATE_CANCELLED)
		r.log.Info("sync job cancelled", "succeeded", r.job.GetSucceeded(), "failed", r.job.GetFailed(), "pending", pending)
	case engineStopped:
		r.log.Info("sync job stopped; it resumes at the next start", "pending", pending)
	default:
		r.notOwner(pending)
	}
}

func (r *run) setState(s job.State) {
	from := r.job.GetState()
	r.job.State, r.job.UpdatedAt = s, ts(time.Now())
	r.e.observe(from, s, false)
}

// size is the batch size for op: the plugin's declared cap, or the
// pipeline's batch_size when smaller, or less once the platform refused
// that much.
func (r *run) size(op sdk.Operation) int {
	limit := r.target.Limits.MaxBatch(op, 50)
	if b := r.p.cfg.BatchSize; b > 0 && b < limit {
		limit = b
	}
	return r.e.sizes.Size(r.p.cfg.Target, model.Operation(op), limit)
}

func (r *run) finish() {
	switch {
	case r.job.GetFailed() == 0:
		r.end(job.State_STATE_SUCCEEDED)
	case r.job.GetSucceeded() > 0:
		r.end(job.State_STATE_PARTIAL)
	default:
		r.end(job.State_STATE_FAILED)
	}
	r.log.Info("sync job finished", "state", r.job.GetState(), "succeeded", r.job.GetSucceeded(), "failed", r.job.GetFailed(),
		"writes", r.job.GetWrites(), "reads", r.job.GetReads())
}

// end records the job's final state with its job.finished event.
func (r *run) end(state job.State) {
	// Still this engine's job until its end is recorded: a cluster node
	// does not take it over meanwhile as a run nobody works on.
	r.e.mu.Lock()
	r.e.ending[r.job.GetId()] = true
	r.e.mu.Unlock()
	defer func() {
		r.e.mu.Lock()
		delete(r.e.ending, r.job.GetId())
		r.e.mu.Unlock()
	}()
	queued, stopped := r.e.release(r.p.cfg.Name, r.job.GetId())
	defer r.e.startQueued(r.p.cfg.Name, queued, stopped)
	from := r.job.GetState()
	r.job.State = state
	now := ts(time.Now())
	r.job.UpdatedAt, r.job.FinishedAt = now, now
	err := r.e.opts.Jobs.CommitWith(r.job, nil, func(txn *store.Txn) error {
		return r.e.event(txn, outbox.JobFinished, JobFinished{ID: r.job.GetId(), Kind: "sync", Pipeline: r.p.cfg.Name,
			Target: r.p.cfg.Target, State: r.job.GetState().String(), Total: r.job.GetTotal(),
			Succeeded: r.job.GetSucceeded(), Failed: r.job.GetFailed(), Writes: r.job.GetWrites()})
	})
	if err != nil {
		r.log.Error("cannot save the sync job's end", "state", state, "error", err)
	}
	r.e.observe(from, r.job.GetState(), false)
}

// JobFinished is the data of a sync job's job.finished event.
type JobFinished struct {
	ID        string           `json:"id"`
	Kind      string           `json:"kind"`
	Pipeline  string           `json:"pipeline"`
	Target    string           `json:"target"`
	State     string           `json:"state"`
	Total     int32            `json:"total"`
	Succeeded int32            `json:"succeeded"`
	Failed    int32            `json:"failed"`
	Writes    map[string]int32 `json:"writes,omitempty"`
}

// ProductSynced is the data of a product.synced event.
type ProductSynced struct {
	Pipeline string   `json:"pipeline"`
	Source   string   `json:"source"`
	ID       string   `json:"id"`
	Target   string   `json:"target"`
	RemoteID string   `json:"remote_id"`
	Created  bool     `json:"created"`
	Fields   []string `json:"fields,omitempty"` // the fields written
	Job      string   `json:"job"`
}

// chunk syncs one batch of items and checkpoints it.
func (r *run) chunk(ctx context.Context, items []*job.Item) error {
	entries := make([]*entry, len(items))
	for i, it := range items {
		entries[i] = &entry{it: it}
	}
	if err := r.load(entries); err != nil {
		return err
	}
	// Write-ahead: the items are marked as attempted before anything is
	// sent, so that after a crash their next attempt looks for what the
	// store may have accepted (rebind by SKU) before creating.
	for _, en := range entries {
		if en.err == nil {
			en.it.Attempts++
		}
	}
	if err := r.e.opts.Jobs.CommitWith(r.job, items, nil); err != nil {
		return err
	}
	r.rebind(ctx, entries)
	r.readRemote(ctx, entries, true, func(en *entry) bool { return en.remote == nil })
	// A product about to be written is read afresh when its copy came
	// from the cache: a write built on a stale copy could undo a merchant's
	// edit made since. Checks that write nothing keep the cached copy.
	r.readRemote(ctx, entries, false, func(en *entry) bool { return !en.fresh && r.writes(en) })
	w := r.decide(entries)
	r.write(ctx, w)
	return r.commit(ctx, entries)
}

// load reads each item's catalogue product, binding, snapshot and
// conflicts, and renders it.
func (r *run) load(entries []*entry) error {
	return r.e.opts.DB.View(func(txn *store.Txn) error {
		for _, en := range entries {
			id := en.it.GetId()
			ent, err := catalog.Get(txn, r.p.cfg.Source, id)
			if errors.Is(err, store.ErrNotFound) {
				en.err = model.NotFound(CodeNotCollected, fmt.Sprintf("product %s of %s is not in the catalogue: collect it first", id, r.p.cfg.Source))
				continue
			}
			if err != nil {
				return err
			}
			en.product = ent.Product
			if en.listing, err = render.Render(ent.Product, &r.p.rules); err != nil {
				en.err = model.Invalid(CodeRender, err.Error())
				continue
			}
			if en.hash, err = snapshot.HashOf(en.listing); err != nil {
				return err
			}
			if en.bind, err = binding.Get(txn, r.p.cfg.Source, id, r.p.cfg.Target); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if en.snap, err = snapshot.Get(txn, r.p.key(id)); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			cs, err := conflict.ForProduct(txn, r.p.cfg.Name, r.p.cfg.Source, id)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if c.State == conflict.StateResolved {
					en.resolved = append(en.resolved, c)
				}
			}
			if en.bind != nil {
				en.remoteID = en.bind.RemoteID
			}
		}
		return nil
	})
}

// SKUPrefix marks a GetRemoteProducts id that names a product by one of
// its variants' SKU, as the shopify plugin documents it; a plugin that
// does not take it answers NOT_FOUND or INVALID for it, and the create's
// idempotency key (or the plugin's own SKU lookup) still keeps the store
// from a second copy.
const SKUPrefix = "sku:"

// rebind looks up by SKU the unbound products that may already be in the
// store: those attempted before (a crash may have lost the answer) or
// synced before (their binding is lost). A product found is bound to it.
func (r *run) rebind(ctx context.Context, entries []*entry) {
	var lost []*entry
	var ids []string
	for _, en := range entries {
		if en.err != nil || en.bind != nil || len(en.listing.GetProduct().GetVariants()) == 0 {
			continue
		}
		if en.it.GetAttempts() > 1 || en.snap != nil {
			lost = append(lost, en)
			ids = append(ids, SKUPrefix+en.listing.GetProduct().GetVariants()[0].GetSku())
		}
	}
	if len(lost) == 0 {
		return
	}
	found, _, _ := r.getRemote(ctx, ids, false)
	rebound := 0
	for i, en := range lost {
		if p := found[ids[i]]; p != nil && p.GetId() != "" {
			en.remoteID, en.remote, en.fresh = p.GetId(), p, true
			rebound++
		}
	}
	r.log.Info("looked up by SKU the products a lost answer or binding may hide", "looked_up", len(lost), "rebound", rebound)
}

// readRemote reads the store's current product of the bound entries that
// want says need it, through the remote_product cache when cached.
func (r *run) readRemote(ctx context.Context, entries []*entry, cached bool, want func(*entry) bool) {
	var ids []string
	var reading []*entry
	for _, en := range entries {
		if en.err == nil && en.remoteID != "" && want(en) {
			ids = append(ids, en.remoteID)
			reading = append(reading, en)
		}
	}
	if len(ids) == 0 {
		return
	}
	found, errs, fresh := r.getRemote(ctx, ids, cached)
	for _, en := range reading {
		en.remote, en.fresh = nil, false
		if p := found[en.remoteID]; p != nil {
			en.remote, en.fresh = p, fresh[en.remoteID]
			continue
		}
		e := errs[en.remoteID]
		if e.GetKind() == model.KindNotFound {
			// Deleted in the store: made again.
			r.log.Warn("bound product is gone from the store; it is created again", "product", en.it.GetId(), "remote_id", en.remoteID)
			en.remoteID = ""
			continue
		}
		if e == nil {
			e = model.Unavailable(model.CodeMissingResult, "the store's product could not be read")
		}
		en.err = e
	}
}

// writes says whether syncing en writes to the store.
func (r *run) writes(en *entry) bool {
	if en.remote == nil {
		return true
	}
	res := r.resolve(en)
	r.applyResolved(en, &res.Patch)
	return !res.Patch.Empty()
}

// resolve merges en's rendered listing with the store's product against
// the last synced snapshot.
func (r *run) resolve(en *entry) *resolve.Result {
	var base *render.Listing
	if en.snap != nil {
		base = en.snap.Listing
	}
	return resolve.Resolve(base, en.listing, r.remoteListing(en.remote, base, en.listing), &r.p.policy)
}

// idempotencyKey is the key of a create: the same for the pipeline and
// source product on every attempt and every node, so a replayed create is
// the same create.
func (r *run) idempotencyKey(parts ...string) string {
	h := sha256.New()
	for _, p := range append([]string{r.p.cfg.Name, r.p.cfg.Source}, parts...) {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "ms-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// writes are the items of the three write operations of a chunk, each
// with the entry it belongs to.
type writes struct {
	upserts   []*model.UpsertItem
	prices    []*model.PriceItem
	inventory []*model.InventoryItem
	byUpsert  []*entry
	byPrice   []*entry
	byStock   []*entry
}

// decide resolves each entry against the store and queues its writes:
// a create or any change beyond price and stock is one UpsertProducts
// item (the store's product with the changes applied, so fields the
// store keeps stay as they are); price-only and stock-only changes go
// through SetPrices and SetInventory, stock with the quantity read as the
// expected one (compare-and-set).
func (r *run) decide(entries []*entry) *writes {
	w := &writes{}
	for _, en := range entries {
		if en.err != nil {
			continue
		}
		if en.remote == nil {
			en.res = resolve.Resolve(nil, en.listing, nil, &r.p.policy)
			en.writes++
			w.upserts = append(w.upserts, &model.UpsertItem{IdempotencyKey: r.idempotencyKey(en.it.GetId()), Product: storeProduct(en.listing)})
			w.byUpsert = append(w.byUpsert, en)
			continue
		}
		en.res = r.resolve(en)
		patch := &en.res.Patch
		r.applyResolved(en, patch)
		if patch.Empty() {
			continue
		}
		if onlyPricesAndStock(patch) && !movesCompareAt(patch, en.remote, en.listing) {
			for sku, price := range patch.Prices {
				en.writes++
				w.prices = append(w.prices, &model.PriceItem{IdempotencyKey: r.idempotencyKey(en.it.GetId(), "price", sku, price.Format()),
					RemoteId: en.remoteID, Sku: sku, Price: price})
				w.byPrice = append(w.byPrice, en)
			}
			for sku, qty := range patch.Stock {
				it := &model.InventoryItem{IdempotencyKey: r.idempotencyKey(en.it.GetId(), "stock", sku, fmt.Sprint(qty)),
					RemoteId: en.remoteID, Sku: sku, Stock: qty}
				if v := variantOf(en.remote, sku); v != nil {
					expected := v.GetStock()
					it.ExpectedStock = &expected
				}
				en.writes++
				w.inventory = append(w.inventory, it)
				w.byStock = append(w.byStock, en)
			}
			continue
		}
		en.writes++
		w.upserts = append(w.upserts, &model.UpsertItem{IdempotencyKey: r.idempotencyKey(en.it.GetId(), hex.EncodeToString(en.hash[:8])),
			RemoteId: en.remoteID, Product: merge(en.remote, en.listing, patch)})
		w.byUpsert = append(w.byUpsert, en)
	}
	return w
}

func onlyPricesAndStock(p *resolve.Patch) bool {
	return len(p.Title) == 0 && len(p.Description) == 0 && !p.SetImages && len(p.AddVariants) == 0 && len(p.RemoveVariants) == 0 &&
		p.Status == render.Status_STATUS_UNSPECIFIED
}

// movesCompareAt reports whether a price change must also move a
// compare-at price, which SetPrices cannot carry: the listing has one for
// a SKU whose price changes, or the store shows one there.
func movesCompareAt(p *resolve.Patch, remote *model.Product, l *render.Listing) bool {
	for sku := range p.Prices {
		if l.GetCompareAt()[sku] != nil || variantOf(remote, sku).GetCompareAt() != nil {
			return true
		}
	}
	return false
}

func variantOf(p *model.Product, sku string) *model.Variant {
	for _, v := range p.GetVariants() {
		if v.GetSku() == sku {
			return v
		}
	}
	return nil
}

// remoteListing is the store's product as a listing comparable with the
// rendered one: a store keeps one language, whose text is compared with
// the chain's first locale. A store that reports no status is taken to
// have the last synced one.
func (r *run) remoteListing(p *model.Product, base, source *render.Listing) *render.Listing {
	p = proto.CloneOf(p)
	for _, m := range []*map[string]string{&p.Title, &p.Description} {
		if len(*m) == 1 {
			for _, v := range *m {
				*m = map[string]string{r.p.rules.Fields.Title[0]: v}
			}
		}
	}
	if len(p.Description) == 1 && len(r.p.rules.Fields.Description) > 0 {
		for _, v := range p.Description {
			p.Description = map[string]string{r.p.rules.Fields.Description[0]: v}
		}
	}
	status := listingStatus(p.GetStatus())
	if status == render.Status_STATUS_UNSPECIFIED {
		status = source.GetStatus()
		if base != nil {
			status = base.GetStatus()
		}
	}
	l := &render.Listing{Product: p, Status: status, HoldStock: source.GetHoldStock()}
	for _, v := range p.GetVariants() {
		if was := v.GetCompareAt(); was != nil {
			if l.CompareAt == nil {
				l.CompareAt = map[string]*model.Money{}
			}
			l.CompareAt[v.GetSku()] = was
		}
		v.CompareAt = nil
	}
	p.Status = model.PublishStatus_PUBLISH_STATUS_UNSPECIFIED
	return l
}

// write sends the chunk's writes, operation by operation, each in
// batches, and settles every entry's count of writes done or its error.
func (r *run) write(ctx context.Context, w *writes) {
	r.send(ctx, sdk.OpUpsertProducts, w.byUpsert, len(w.upserts), func(idx []int, token uint64) (proto.Message, func(*platform.CallResult) []*model.WriteResult) {
		req := &model.UpsertProductsRequest{FencingToken: token}
		for _, i := range idx {
			req.Items = append(req.Items, w.upserts[i])
		}
		return req, func(res *platform.CallResult) []*model.WriteResult { return res.GetUpsertProducts().GetResults() }
	})
	r.send(ctx, sdk.OpSetPrices, w.byPrice, len(w.prices), func(idx []int, token uint64) (proto.Message, func(*platform.CallResult) []*model.WriteResult) {
		req := &model.SetPricesRequest{FencingToken: token}
		for _, i := range idx {
			req.Items = append(req.Items, w.prices[i])
		}
		return req, func(res *platform.CallResult) []*model.WriteResult { return res.GetSetPrices().GetResults() }
	})
	r.send(ctx, sdk.OpSetInventory, w.byStock, len(w.inventory), func(idx []int, token uint64) (proto.Message, func(*platform.CallResult) []*model.WriteResult) {
		req := &model.SetInventoryRequest{FencingToken: token}
		for _, i := range idx {
			req.Items = append(req.Items, w.inventory[i])
		}
		return req, func(res *platform.CallResult) []*model.WriteResult { return res.GetSetInventory().GetResults() }
	})
}

// send runs one operation's items through the batch optimiser. Each call
// carries the fencing token of this node's lease on the target, taken
// just before it is sent; without a lease the call is not made and its
// items fail with CodeNotOwner (they stay pending, see commit).
func (r *run) send(ctx context.Context, op sdk.Operation, owners []*entry, n int,
	build func(idx []int, token uint64) (proto.Message, func(*platform.CallResult) []*model.WriteResult)) {
	if n == 0 {
		return
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	spec, _ := model.LookupOperation(model.Operation(op))
	name := spec.Name
	s := batch.Sender{Sizes: r.e.sizes, Platform: r.p.cfg.Target, Op: model.Operation(op), Limit: r.limit(op), Attempts: r.e.opts.Attempts}
	out := batch.Send(ctx, s, idx, func(ctx context.Context, part []int) ([]*model.Error, *model.Error) {
		token, ok := r.e.fence(r.p.cfg.Target)
		if !ok {
			return nil, r.notOwnerError()
		}
		req, results := build(part, token)
		res, callErr := r.call(ctx, req)
		r.job.Writes[name] += res.GetAttempts()
		if callErr != nil {
			return nil, callErr
		}
		rs := results(res)
		errs := make([]*model.Error, len(part))
		for j, i := range part {
			if j >= len(rs) {
				errs[j] = model.Unavailable(model.CodeMissingResult, "the plugin answered no result for this item")
				continue
			}
			errs[j] = rs[j].GetError()
			if errs[j] == nil && op == sdk.OpUpsertProducts && rs[j].GetRemoteId() != "" {
				owners[i].remoteID = rs[j].GetRemoteId()
			}
		}
		return errs, nil
	})
	for i, e := range out.Errs {
		en := owners[i]
		if e != nil {
			if en.err == nil {
				en.err = e
			}
			continue
		}
		en.done++
	}
	if out.Refused > 0 {
		r.log.Warn("the store refused batches as too large; smaller ones are sent from now on", "operation", name,
			"refused", out.Refused, "size", r.e.sizes.Size(r.p.cfg.Target, model.Operation(op), r.limit(op)))
	}
}

// limit is the configured or declared cap of op, before any learnt size.
func (r *run) limit(op sdk.Operation) int {
	limit := r.target.Limits.MaxBatch(op, 50)
	if b := r.p.cfg.BatchSize; b > 0 && b < limit {
		limit = b
	}
	return limit
}

// call sends one request to the target's platform actor.
func (r *run) call(ctx context.Context, req proto.Message) (*platform.CallResult, *model.Error) {
	ctx, cancel := context.WithTimeout(ctx, r.e.opts.CallTimeout)
	defer cancel()
	c := platform.NewCall(req)
	c.Priority = platform.Priority_PRIORITY_BULK
	res, err := platform.Request(ctx, r.e.opts.Root, r.target.PID, c)
	r.job.Calls += res.GetAttempts()
	if err != nil {
		return res, model.Unavailable(model.CodePlatformTimeout, fmt.Sprintf("no answer from platform %s: %v", r.p.cfg.Target, err))
	}
	if e := res.Err(); e != nil {
		return res, e
	}
	return res, nil
}

// commit records the chunk in one transaction: each entry's item, and for
// those written (or with nothing to write) the binding, the snapshot, the
// decisions, the conflicts and their events. An entry whose writes were
// cut short by a stop stays pending, to be checked again on resume.
func (r *run) commit(ctx context.Context, entries []*entry) error {
	now := time.Now()
	items := make([]*job.Item, len(entries))
	for i, en := range entries {
		items[i] = proto.CloneOf(en.it)
		items[i].UpdatedAt = ts(now)
	}
	err := r.e.opts.Jobs.CommitWith(r.job, items, func(txn *store.Txn) error {
		for i, en := range entries {
			it := items[i]
			it.State, it.Error = job.ItemState_ITEM_PENDING, nil
			if en.err == nil && en.done < en.writes {
				en.err = model.Unavailable(model.CodeMissingResult, "a write of the product got no result")
			}
			if en.err != nil {
				if ctx.Err() != nil && en.err.GetKind().Retryable() || en.err.GetCode() == model.CodeNotOwner {
					// Stopped, or no longer the owner: stays pending,
					// with the reason shown, for whoever resumes it.
					it.Error = en.err
					continue
				}
				it.State, it.Error = job.ItemState_ITEM_FAILED, en.err
				continue
			}
			if err := r.record(txn, en, now); err != nil {
				var me *model.Error
				if errors.As(err, &me) {
					it.State, it.Error = job.ItemState_ITEM_FAILED, me
					continue
				}
				return err
			}
			it.State = job.ItemState_ITEM_SUCCEEDED
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The store's copies of what was written are stale now.
	if r.e.remote != nil {
		for _, en := range entries {
			if en.writes > 0 && en.remoteID != "" {
				_ = r.e.remote.Invalidate(r.p.cfg.Target + "/" + en.remoteID)
			}
		}
	}
	return nil
}

// record writes what a synced entry leaves behind.
func (r *run) record(txn *store.Txn, en *entry, now time.Time) error {
	id := en.it.GetId()
	b := &binding.Binding{SourcePlatform: r.p.cfg.Source, SourceID: id, Target: r.p.cfg.Target, RemoteID: en.remoteID, Variants: map[string]string{}}
	for _, v := range en.listing.GetProduct().GetVariants() {
		b.Variants[v.GetSku()] = v.GetSku()
	}
	if err := binding.Put(txn, b); err != nil {
		return model.Conflict(CodeBinding, err.Error())
	}
	remoteAt := now
	if t := en.remote.GetUpdatedAt(); t != nil && en.writes == 0 {
		remoteAt = t.AsTime()
	}
	if _, err := snapshot.Put(txn, r.p.key(id), en.listing, remoteAt, now); err != nil {
		return err
	}
	var pushed []string
	for _, d := range en.res.Decisions {
		if d.Pushed {
			pushed = append(pushed, d.Field)
		}
		if err := conflict.Record(txn, r.p.cfg.Source, id, &conflict.Decision{
			Pipeline: r.p.cfg.Name, Target: r.p.cfg.Target, Field: d.Field, Base: d.Base, Source: d.Source, Remote: d.Remote,
			Chosen: d.Chosen, Rule: d.Rule, Pushed: d.Pushed, JobID: r.job.GetId(), At: now,
		}); err != nil {
			return err
		}
	}
	for _, c := range en.res.Conflicts {
		stored, isNew, err := conflict.Add(txn, &conflict.Conflict{
			Pipeline: r.p.cfg.Name, SourcePlatform: r.p.cfg.Source, SourceID: id, Target: r.p.cfg.Target, RemoteID: en.remoteID,
			Field: c.Field, Kind: string(c.Kind), Base: c.Base, Source: c.Source, Remote: c.Remote, DetectedAt: now,
		})
		if err != nil {
			return err
		}
		if isNew {
			if err := r.e.event(txn, outbox.ConflictDetected, stored); err != nil {
				return err
			}
		}
	}
	for _, c := range en.resolved {
		if err := conflict.MarkApplied(txn, c); err != nil {
			return err
		}
	}
	if en.writes > 0 {
		return r.e.event(txn, outbox.ProductSynced, ProductSynced{Pipeline: r.p.cfg.Name, Source: r.p.cfg.Source, ID: id,
			Target: r.p.cfg.Target, RemoteID: en.remoteID, Created: en.bind == nil && en.remote == nil, Fields: pushed, Job: r.job.GetId()})
	}
	return nil
}
