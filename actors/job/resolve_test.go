package job

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/sdk/model"
)

func fetchAll(ids []string, _ int) *platform.CallResult { return products(ids) }

func TestURLsAreResolvedBeforeTheCollect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plat := &fakePlatform{answer: fetchAll}
		e := newEnv(t, newMemStore(), plat)
		entries := []string{
			"100001",
			productURL("100002"),
			productURL("100001"), // the product of item 0
			"https://elsewhere.example/x",
			productURL("100002") + "?from=feed", // the product of item 1
		}
		sub := e.submit(t, "src", entries)
		if sub.GetError() != nil {
			t.Fatal(sub.GetError())
		}
		if j := sub.GetJob(); j.GetStep() != Step_STEP_RESOLVING || j.GetToResolve() != 4 || j.GetResolved() != 0 || j.GetTotal() != 5 {
			t.Fatalf("submitted job %v, want resolving 4 URLs of 5 items", j)
		}
		synctest.Wait()
		j := e.store.job(sub.GetJob().GetId())
		if j.GetState() != State_STATE_PARTIAL || j.GetSucceeded() != 4 || j.GetFailed() != 1 ||
			j.GetStep() != Step_STEP_COLLECTING || j.GetResolved() != 4 || j.GetCalls() != 1 {
			t.Fatalf("job %v, want the 4 product items collected, the foreign URL failed, and 1 fetch call counted", j)
		}
		// Resolving comes first; each product is fetched once.
		if want := []string{"resolve", "resolve", "fetch"}; !slices.Equal(plat.ops, want) {
			t.Errorf("calls %v, want %v", plat.ops, want)
		}
		if !slices.Equal(plat.fetched, []string{"100001", "100002"}) {
			t.Errorf("fetched %v, want each product once", plat.fetched)
		}
		items := e.store.items[j.GetId()]
		for i, want := range []struct {
			id       string
			state    ItemState
			attempts int32
		}{
			{"100001", ItemState_ITEM_SUCCEEDED, 1},
			{"100002", ItemState_ITEM_SUCCEEDED, 1},
			{"100001", ItemState_ITEM_SUCCEEDED, 0},
			{"", ItemState_ITEM_FAILED, 0},
			{"100002", ItemState_ITEM_SUCCEEDED, 0},
		} {
			it := items[i]
			if it.GetId() != want.id || it.GetState() != want.state || it.GetAttempts() != want.attempts {
				t.Errorf("item %d = %v, want id %q, %v, %d attempts", i, it, want.id, want.state, want.attempts)
			}
		}
		if it := items[3]; it.GetUrl() != entries[3] || it.GetError().GetKind() != model.KindInvalid || it.GetError().GetCode() != "NOT_A_PRODUCT_URL" {
			t.Errorf("foreign URL item %v, want it failed with the plugin's error", it)
		}
	})
}

func TestDuplicatesFailWithTheirFirstItem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plat := &fakePlatform{answer: fetchAll}
		e := newEnv(t, newMemStore(), plat)
		sub := e.submit(t, "src", []string{productURL("missing"), "missing"})
		synctest.Wait()
		j := e.store.job(sub.GetJob().GetId())
		if j.GetState() != State_STATE_FAILED || j.GetFailed() != 2 || !slices.Equal(plat.fetched, []string{"missing"}) {
			t.Fatalf("job %v, fetched %v", j, plat.fetched)
		}
		for _, it := range e.store.items[j.GetId()] {
			if it.GetError().GetCode() != "ITEM_NOT_FOUND" {
				t.Errorf("item %v, want the first item's error", it)
			}
		}
	})
}

func TestURLsToAPluginThatTakesNoneFailAlone(t *testing.T) {
	for name, tc := range map[string]struct {
		platform string
		resolve  func([]string) *platform.CallResult
	}{
		// The plugin's description declares no URL resolution: no call.
		"described": {platform: "plain"},
		// It declares it but does not implement it.
		"unimplemented": {platform: "src", resolve: func([]string) *platform.CallResult {
			return &platform.CallResult{Attempts: 1, Error: model.Invalid(model.CodePluginUnimplemented, "plugin does not resolve URLs")}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				plat := &fakePlatform{answer: fetchAll, resolve: tc.resolve}
				e := newEnv(t, newMemStore(), plat)
				sub := e.submit(t, tc.platform, []string{"100001", productURL("100002")})
				synctest.Wait()
				j := e.store.job(sub.GetJob().GetId())
				if j.GetState() != State_STATE_PARTIAL || j.GetSucceeded() != 1 || j.GetFailed() != 1 || j.GetResolved() != 1 {
					t.Fatalf("job %v, want the id collected and the URL failed", j)
				}
				it := e.store.items[j.GetId()][1]
				if it.GetError().GetCode() != CodeBadURL || !strings.Contains(it.GetError().GetMessage(), "does not take product URLs") {
					t.Errorf("URL item %v", it)
				}
				if tc.resolve == nil && slices.Contains(plat.ops, "resolve") {
					t.Errorf("calls %v: the plugin said it takes no URLs", plat.ops)
				}
			})
		})
	}
}

func TestResolvingRetriesAFailedCallThenGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tries := 0
		plat := &fakePlatform{answer: fetchAll, resolve: func([]string) *platform.CallResult {
			tries++
			return &platform.CallResult{Attempts: 1, Error: model.Unavailable(model.CodePluginUnavailable, "plugin restarting")}
		}}
		e := newEnv(t, newMemStore(), plat)
		sub := e.submit(t, "src", []string{"100001", productURL("100002")})
		<-time.After(time.Minute)
		j := e.store.job(sub.GetJob().GetId())
		it := e.store.items[j.GetId()][1]
		if j.GetState() != State_STATE_PARTIAL || tries != 3 || it.GetError().GetCode() != model.CodePluginUnavailable || it.GetAttempts() != 0 {
			t.Fatalf("job %v after %d resolve calls, URL item %v; want 3 calls, then the URL failed", j, tries, it)
		}
	})
}

// TestRestartDuringResolutionResumesIt stops the job actors while URLs are
// being resolved: the resolved ones are checkpointed, and the next start
// resolves only the rest, then collects.
func TestRestartDuringResolutionResumesIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		gate := make(chan struct{})
		plat := &fakePlatform{gate: gate, answer: fetchAll}
		e := newEnv(t, store, plat)
		var entries []string
		for _, id := range ids(12) {
			entries = append(entries, productURL(id))
		}
		sub := e.submit(t, "src", entries)
		synctest.Wait()
		// Four batches of two URLs are out (twice the concurrency of 2).
		e.drain(t, gate)
		id := sub.GetJob().GetId()
		j := store.job(id)
		if j.GetState() != State_STATE_RUNNING || j.GetStep() != Step_STEP_RESOLVING || j.GetResolved() != 8 || len(plat.urls) != 8 {
			t.Fatalf("after the stop: job %v, %d URLs sent; want 8 resolved and still resolving", j, len(plat.urls))
		}

		again := &fakePlatform{answer: fetchAll}
		newEnv(t, store, again)
		synctest.Wait()
		j = store.job(id)
		if j.GetState() != State_STATE_SUCCEEDED || j.GetSucceeded() != 12 || j.GetResolved() != 12 || j.GetStep() != Step_STEP_COLLECTING {
			t.Fatalf("resumed job %v", j)
		}
		if !slices.Equal(again.urls, entries[8:]) {
			t.Errorf("after the restart %d URLs were resolved, want only the 4 left", len(again.urls))
		}
		if len(again.fetched) != 12 {
			t.Errorf("fetched %v", again.fetched)
		}
	})
}
