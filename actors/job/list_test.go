package job

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/sdk/model"
)

// listing pages through all as a plugin does: the cursor is the offset of
// the next page.
func listing(all []string) func(*model.ListProductsRequest) *platform.CallResult {
	return func(req *model.ListProductsRequest) *platform.CallResult {
		from, _ := strconv.Atoi(req.GetCursor())
		to := min(from+int(req.GetPageSize()), len(all))
		r := &model.ListProductsResponse{Ids: all[from:to]}
		if to < len(all) {
			r.NextCursor = strconv.Itoa(to)
		}
		return &platform.CallResult{Attempts: 1, Response: &platform.CallResult_ListProducts{ListProducts: r}}
	}
}

func (e *env) submitScope(t *testing.T, scope string) *Submitted {
	t.Helper()
	res, err := e.sys.Root.RequestFuture(e.manager, &SubmitCollect{Platform: "src", Scope: scope}, time.Minute).Result()
	if err != nil {
		t.Fatal(err)
	}
	sub := res.(*Submitted)
	if sub.GetError() != nil {
		t.Fatal(sub.GetError())
	}
	return sub
}

func TestAScopeIsListedThenCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 250 ids, one of them listed twice (the listing changed under
		// the pages): it is fetched once.
		all := append(ids(249), "100001")
		plat := &fakePlatform{answer: fetchAll, list: listing(all)}
		e := newEnv(t, newMemStore(), plat)
		sub := e.submitScope(t, "shop:7")
		if j := sub.GetJob(); j.GetStep() != Step_STEP_LISTING || j.GetScope() != "shop:7" || j.GetTotal() != 0 {
			t.Fatalf("submitted %v", j)
		}
		synctest.Wait()
		j := e.store.job(sub.GetJob().GetId())
		if j.GetState() != State_STATE_SUCCEEDED || j.GetTotal() != 250 || j.GetSucceeded() != 250 || j.GetListedPages() != 3 ||
			j.GetStep() != Step_STEP_COLLECTING || j.GetCursor() != "" {
			t.Fatalf("job %v", j)
		}
		// Three pages, then five batches of 50 ids, and each call counts.
		if j.GetCalls() != 8 || !slices.Equal(plat.ops[:3], []string{"list", "list", "list"}) || len(plat.fetched) != 249 {
			t.Errorf("calls %d, ops %v, %d ids fetched", j.GetCalls(), plat.ops, len(plat.fetched))
		}
		for i, req := range plat.listed {
			if req.GetScope() != "shop:7" || req.GetPageSize() != ListPageSize || req.GetCursor() != []string{"", "100", "200"}[i] {
				t.Errorf("page %d asked with %v", i, req)
			}
		}
	})
}

// TestRestartDuringListingResumesFromTheLastPage stops the job actors with
// a page of the listing in flight: the page is checkpointed with its
// cursor, and the next start lists on from the page after it.
func TestRestartDuringListingResumesFromTheLastPage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		all := ids(250)
		gate := make(chan struct{})
		plat := &fakePlatform{gate: gate, answer: fetchAll, list: listing(all)}
		e := newEnv(t, store, plat)
		sub := e.submitScope(t, "all")
		synctest.Wait()
		e.drain(t, gate)
		id := sub.GetJob().GetId()
		j := store.job(id)
		if j.GetState() != State_STATE_RUNNING || j.GetStep() != Step_STEP_LISTING || j.GetTotal() != 100 || j.GetCursor() != "100" || len(plat.listed) != 1 {
			t.Fatalf("after the stop: job %v, %d pages asked; want one page listed", j, len(plat.listed))
		}

		again := &fakePlatform{answer: fetchAll, list: listing(all)}
		newEnv(t, store, again)
		synctest.Wait()
		j = store.job(id)
		if j.GetState() != State_STATE_SUCCEEDED || j.GetTotal() != 250 || j.GetSucceeded() != 250 || j.GetListedPages() != 3 {
			t.Fatalf("resumed job %v", j)
		}
		if len(again.listed) != 2 || again.listed[0].GetCursor() != "100" {
			t.Errorf("after the restart the pages asked were %v, want from cursor 100 on", again.listed)
		}
		slices.Sort(again.fetched)
		if !slices.Equal(again.fetched, all) {
			t.Errorf("fetched %d ids, want each of the 250 once", len(again.fetched))
		}
	})
}

func TestAListingThatFailsEndsTheJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pages := listing(ids(150))
		plat := &fakePlatform{answer: fetchAll, list: func(req *model.ListProductsRequest) *platform.CallResult {
			if req.GetCursor() != "" {
				return &platform.CallResult{Attempts: 1, Error: model.Invalid("BAD_CURSOR", "cursor expired")}
			}
			return pages(req)
		}}
		e := newEnv(t, newMemStore(), plat)
		sub := e.submitScope(t, "shop:7")
		synctest.Wait()
		j := e.store.job(sub.GetJob().GetId())
		if j.GetState() != State_STATE_FAILED || !strings.Contains(j.GetError(), `listing "shop:7" stopped after 1 pages (100 ids, not collected)`) ||
			!strings.Contains(j.GetError(), "cursor expired") || len(plat.fetched) != 0 {
			t.Fatalf("job %v, fetched %d", j, len(plat.fetched))
		}
	})
}

func TestAListingRefusedForNowWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pages := listing(ids(10))
		refused := 0
		plat := &fakePlatform{answer: fetchAll, list: func(req *model.ListProductsRequest) *platform.CallResult {
			if refused < 3 {
				refused++
				return &platform.CallResult{Attempts: 1, Error: model.Unavailable(platform.CodeCircuitOpen, "circuit open")}
			}
			return pages(req)
		}}
		e := newEnv(t, newMemStore(), plat)
		sub := e.submitScope(t, "all")
		synctest.Wait()
		j := e.store.job(sub.GetJob().GetId())
		if j.GetState() != State_STATE_RUNNING || j.GetPausedReason() == "" {
			t.Fatalf("job %v, want paused", j)
		}
		<-time.After(time.Minute) // the bubble's clock: the pauses pass
		synctest.Wait()
		if j = e.store.job(sub.GetJob().GetId()); j.GetState() != State_STATE_SUCCEEDED || j.GetTotal() != 10 {
			t.Fatalf("job %v", j)
		}
	})
}

func TestScopeAndIDsAreRefusedTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, newMemStore(), &fakePlatform{answer: fetchAll})
		res, err := e.sys.Root.RequestFuture(e.manager, &SubmitCollect{Platform: "src", Scope: "all", Ids: ids(1)}, time.Minute).Result()
		if err != nil {
			t.Fatal(err)
		}
		if e := res.(*Submitted).GetError(); e.GetCode() != CodeInvalidRequest {
			t.Errorf("error %v", e)
		}
	})
}
