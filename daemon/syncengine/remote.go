package syncengine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
)

// getRemote reads the store's products ids (remote ids, or SKUPrefix
// lookups) in batches at the plugin's GetRemoteProducts cap. With cached,
// each id is first looked up in the remote_product cache and only the
// misses are read, in one batched call for all of them however many
// callers miss at once; what is read is cached. fresh says which ids were
// read from the store.
func (r *run) getRemote(ctx context.Context, ids []string, cached bool) (found map[string]*model.Product, errs map[string]*model.Error, fresh map[string]bool) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	fresh = map[string]bool{}
	if !cached || r.e.remote == nil {
		found, errs = r.fetchRemote(ctx, ids)
		for id := range found {
			fresh[id] = true
			if r.e.remote != nil && !strings.HasPrefix(id, SKUPrefix) {
				// What was read is the freshest copy there is.
				_ = r.e.remote.Set(r.p.cfg.Target+"/"+id, found[id])
			}
		}
		return found, errs, fresh
	}
	var (
		mu               sync.Mutex
		miss             []string
		fetched          map[string]*model.Product
		fetchErrs        map[string]*model.Error
		arrived, settled sync.WaitGroup
		done             = make(chan struct{})
	)
	found, errs = map[string]*model.Product{}, map[string]*model.Error{}
	arrived.Add(len(ids))
	settled.Add(len(ids))
	for _, id := range ids {
		go func() {
			defer settled.Done()
			arrive := sync.OnceFunc(arrived.Done)
			p, err := r.e.remote.Get(ctx, r.p.cfg.Target+"/"+id, func(context.Context) (*model.Product, error) {
				mu.Lock()
				miss = append(miss, id)
				mu.Unlock()
				arrive()
				<-done
				if p := fetched[id]; p != nil {
					return p, nil
				}
				if e := fetchErrs[id]; e != nil {
					return nil, e
				}
				return nil, model.Unavailable(model.CodeMissingResult, "no result for "+id)
			})
			arrive()
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				found[id] = p
				return
			}
			var me *model.Error
			if !errors.As(err, &me) {
				me = model.Unavailable(model.CodeCallFailed, err.Error())
			}
			errs[id] = me
		}()
	}
	arrived.Wait()
	mu.Lock()
	toRead := slices.Clone(miss)
	mu.Unlock()
	fetched, fetchErrs = r.fetchRemote(ctx, toRead)
	close(done)
	settled.Wait()
	for id := range fetched {
		fresh[id] = true
	}
	return found, errs, fresh
}

// fetchRemote reads ids from the store, batch after batch.
func (r *run) fetchRemote(ctx context.Context, ids []string) (map[string]*model.Product, map[string]*model.Error) {
	found, errs := map[string]*model.Product{}, map[string]*model.Error{}
	size := r.size(sdk.OpGetRemoteProducts)
	for start := 0; start < len(ids); start += size {
		part := ids[start:min(start+size, len(ids))]
		res, callErr := r.call(ctx, &model.GetRemoteProductsRequest{RemoteIds: part})
		r.job.Reads += res.GetAttempts()
		results := res.GetGetRemoteProducts().GetResults()
		for j, id := range part {
			switch {
			case callErr != nil:
				errs[id] = callErr
			case j >= len(results):
				errs[id] = model.Unavailable(model.CodeMissingResult, "the plugin answered no result for "+id)
			case results[j].GetProduct() != nil:
				found[id] = results[j].GetProduct()
			default:
				errs[id] = results[j].GetError()
			}
		}
	}
	return found, errs
}
