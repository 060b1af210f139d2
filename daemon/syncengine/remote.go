package syncengine

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
)

// getRemote reads the store's products ids (remote ids, or SKUPrefix
// lookups) in batches at the plugin's GetRemoteProducts cap. With cached,
// each id is first looked up in the remote_product cache and only the
// misses are read, in one batched call for all of them however many
// callers miss at once; what is read is cached.
func (r *run) getRemote(ctx context.Context, ids []string, cached bool) (map[string]*model.Product, map[string]*model.Error) {
	slices.Sort(ids)
	ids = slices.Compact(slices.Clone(ids))
	if !cached || r.e.remote == nil {
		return r.fetchRemote(ctx, ids)
	}
	var (
		mu               sync.Mutex
		miss             []string
		fetched          map[string]*model.Product
		fetchErrs        map[string]*model.Error
		found            = map[string]*model.Product{}
		errs             = map[string]*model.Error{}
		arrived, settled sync.WaitGroup
		done             = make(chan struct{})
	)
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
	return found, errs
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
