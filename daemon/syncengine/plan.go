package syncengine

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/snapshot"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk/model"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// planPage is how many catalogue entries planning reads per transaction.
const planPage = 500

// plan creates the job of a run: one item per source product to sync.
// Without ids it walks the source's catalogue and keeps the products whose
// rendered listing hashes differently from their snapshot (unchanged ones
// cost nothing more); a product that does not render is kept too, to fail
// as an item with its reason. With ids and force, every id is kept.
func (e *Engine) plan(p *pipeline, ids []string, force bool) (*job.Job, error) {
	var todo []string
	if len(ids) > 0 {
		if force {
			todo = ids
		} else {
			err := e.opts.DB.View(func(txn *store.Txn) error {
				for _, id := range ids {
					ent, err := catalog.Get(txn, p.cfg.Source, id)
					if errors.Is(err, store.ErrNotFound) {
						todo = append(todo, id) // fails as an item: not collected
						continue
					}
					if err != nil {
						return err
					}
					if changed, err := p.changed(txn, ent.Product); err != nil || changed {
						todo = append(todo, id)
					}
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	} else {
		after := ""
		for {
			var page []*catalog.Entry
			var next string
			if err := e.opts.DB.View(func(txn *store.Txn) (err error) {
				page, next, err = catalog.List(txn, p.cfg.Source, after, planPage)
				return err
			}); err != nil {
				return nil, fmt.Errorf("engine: plan %s: %w", p.cfg.Name, err)
			}
			changed, err := e.changedOf(p, page)
			if err != nil {
				return nil, fmt.Errorf("engine: plan %s: %w", p.cfg.Name, err)
			}
			todo = append(todo, changed...)
			if next == "" {
				break
			}
			after = next
		}
	}
	now := time.Now()
	j := &job.Job{
		Id: job.NewID(now), Kind: job.Kind_KIND_SYNC, Platform: p.cfg.Target, Pipeline: p.cfg.Name,
		State: job.State_STATE_QUEUED, CreatedAt: ts(now), UpdatedAt: ts(now),
		Writes: map[string]int32{},
	}
	if err := e.opts.Jobs.Create(j, todo); err != nil {
		return nil, fmt.Errorf("engine: create the job of %s: %w", p.cfg.Name, err)
	}
	e.observe(0, job.State_STATE_QUEUED, true)
	return j, nil
}

// changedOf returns the ids of the entries whose listing changed. The
// rendering and hashing, the costly part of planning, run on every CPU.
func (e *Engine) changedOf(p *pipeline, page []*catalog.Entry) ([]string, error) {
	hashes := make([]*snapshot.Hash, len(page))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, ent := range page {
		g.Go(func() error {
			if l, err := render.Render(ent.Product, &p.rules); err == nil {
				if h, err := snapshot.HashOf(l); err == nil {
					hashes[i] = &h
				}
			}
			return nil
		})
	}
	_ = g.Wait()
	var out []string
	err := e.opts.DB.View(func(txn *store.Txn) error {
		for i, ent := range page {
			if hashes[i] == nil {
				out = append(out, ent.Product.GetId()) // fails as an item, with its reason
				continue
			}
			changed, err := snapshot.Changed(txn, p.key(ent.Product.GetId()), *hashes[i])
			if err != nil {
				return err
			}
			if changed {
				out = append(out, ent.Product.GetId())
			}
		}
		return nil
	})
	return out, err
}

// changed says whether product renders to a listing other than the one
// last synced for it. A render error counts as changed: the item then
// fails with it.
func (p *pipeline) changed(txn *store.Txn, product *model.Product) (bool, error) {
	l, err := render.Render(product, &p.rules)
	if err != nil {
		return true, nil
	}
	h, err := snapshot.HashOf(l)
	if err != nil {
		return true, nil
	}
	return snapshot.Changed(txn, p.key(product.GetId()), h)
}

func (p *pipeline) key(id string) snapshot.Key {
	return snapshot.Key{Pipeline: p.cfg.Name, Platform: p.cfg.Source, ID: id}
}
