package job

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

// memStore is a Store in memory that records every checkpoint.
type memStore struct {
	mu       sync.Mutex
	jobs     map[string]*Job
	items    map[string][]*Item
	products map[string]*model.Product
	commits  int
	failNext bool
}

func newMemStore() *memStore {
	return &memStore{jobs: map[string]*Job{}, items: map[string][]*Item{}, products: map[string]*model.Product{}}
}

func (s *memStore) Create(j *Job, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs[j.GetId()] = proto.Clone(j).(*Job)
	for i, id := range ids {
		s.items[j.GetId()] = append(s.items[j.GetId()], NewItem(int32(i), id))
	}
	return nil
}

func (s *memStore) Save(j *Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs[j.GetId()] = proto.Clone(j).(*Job)
	return nil
}

func (s *memStore) Pending(id string) ([]*Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Item
	for _, it := range s.items[id] {
		if it.GetState() == ItemState_ITEM_PENDING {
			out = append(out, proto.Clone(it).(*Item))
		}
	}
	return out, nil
}

func (s *memStore) Commit(j *Job, items []*Item, products []*model.Product) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext {
		s.failNext = false
		return errors.New("disk full")
	}
	s.commits++
	s.jobs[j.GetId()] = proto.Clone(j).(*Job)
	for _, it := range items {
		s.items[j.GetId()][it.GetIndex()] = proto.Clone(it).(*Item)
	}
	for _, p := range products {
		s.products[j.GetPlatform()+":"+p.GetId()] = p
	}
	return nil
}

func (s *memStore) AddListed(j *Job, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext {
		s.failNext = false
		return errors.New("disk full")
	}
	for _, id := range ids {
		s.items[j.GetId()] = append(s.items[j.GetId()], &Item{Index: int32(len(s.items[j.GetId()])), Id: id})
	}
	j.Total = int32(len(s.items[j.GetId()]))
	s.jobs[j.GetId()] = proto.Clone(j).(*Job)
	return nil
}

func (s *memStore) Unfinished() ([]*Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Job
	for _, j := range s.jobs {
		if j.GetState() == State_STATE_QUEUED || j.GetState() == State_STATE_RUNNING {
			out = append(out, proto.Clone(j).(*Job))
		}
	}
	return out, nil
}

func (s *memStore) job(id string) *Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	return proto.Clone(s.jobs[id]).(*Job)
}

// fakePlatform answers fetch calls with a script and records batch sizes
// and how many batches were outstanding at once. It resolves URLs
// (resolveURLs, unless resolve is set) and records what it was sent.
type fakePlatform struct {
	mu       sync.Mutex
	answer   func(ids []string, call int) *platform.CallResult
	resolve  func(urls []string) *platform.CallResult
	list     func(req *model.ListProductsRequest) *platform.CallResult
	batches  []int
	calls    int
	gate     chan struct{} // when set, each call waits for a token
	inFlight int
	peak     int
	// ops lists the calls in the order they came: "resolve" or "fetch";
	// fetched, urls and listed the ids, URLs and list requests they
	// carried.
	ops     []string
	fetched []string
	urls    []string
	listed  []*model.ListProductsRequest
}

func (f *fakePlatform) Receive(ctx actor.Context) {
	c, ok := ctx.Message().(*platform.Call)
	if !ok {
		return
	}
	urls := c.GetResolveUrls().GetUrls()
	ids := c.GetFetchProducts().GetIds()
	list := c.GetListProducts()
	f.mu.Lock()
	f.calls++
	n := f.calls
	switch {
	case list != nil:
		f.ops = append(f.ops, "list")
		f.listed = append(f.listed, list)
	case urls != nil:
		f.ops = append(f.ops, "resolve")
		f.urls = append(f.urls, urls...)
	default:
		f.ops = append(f.ops, "fetch")
		f.fetched = append(f.fetched, ids...)
		f.batches = append(f.batches, len(ids))
	}
	f.inFlight++
	f.peak = max(f.peak, f.inFlight)
	gate := f.gate
	f.mu.Unlock()
	sender := ctx.Sender()
	root := ctx.ActorSystem().Root
	go func() {
		if gate != nil {
			<-gate
		}
		var res *platform.CallResult
		switch {
		case list != nil:
			res = f.list(list)
		case urls == nil:
			res = f.answer(ids, n)
		case f.resolve != nil:
			res = f.resolve(urls)
		default:
			res = resolveURLs(urls)
		}
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
		root.Send(sender, res)
	}()
}

// productURL is a product page URL that resolveURLs resolves to id.
func productURL(id string) string { return "https://src.example/item/" + id + ".html" }

// resolveURLs resolves the URLs productURL makes and fails any other, as
// a plugin does.
func resolveURLs(urls []string) *platform.CallResult {
	r := &model.ResolveURLsResponse{}
	for _, u := range urls {
		id, ok := strings.CutPrefix(u, "https://src.example/item/")
		if !ok {
			r.Results = append(r.Results, &model.ResolveResult{Url: u, Error: model.Invalid("NOT_A_PRODUCT_URL", u+" is not a product page")})
			continue
		}
		id, _, _ = strings.Cut(id, ".html")
		r.Results = append(r.Results, &model.ResolveResult{Url: u, Id: id})
	}
	return &platform.CallResult{Attempts: 1, Response: &platform.CallResult_ResolveUrls{ResolveUrls: r}}
}

func products(ids []string) *platform.CallResult {
	r := &model.FetchProductsResponse{}
	for _, id := range ids {
		if id == "missing" {
			r.Results = append(r.Results, &model.ProductResult{Id: id, Error: model.NotFound("ITEM_NOT_FOUND", "no such item")})
			continue
		}
		r.Results = append(r.Results, &model.ProductResult{Id: id, Product: &model.Product{Id: id}})
	}
	return &platform.CallResult{Attempts: 1, Response: &platform.CallResult_FetchProducts{FetchProducts: r}}
}

type env struct {
	sys     *actor.ActorSystem
	store   *memStore
	plat    *fakePlatform
	manager *actor.PID
	changes []string
	mu      sync.Mutex
	logs    *lockedBuffer
}

// lockedBuffer is a log destination that actors may write concurrently.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (e *env) JobChanged(from, to State, isNew bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.changes = append(e.changes, fmt.Sprintf("%v->%v", from, to))
}

func newEnv(t *testing.T, store *memStore, plat *fakePlatform) *env {
	e := &env{store: store, plat: plat, logs: &lockedBuffer{}}
	e.sys = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	ppid := e.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return plat }))
	// "src" collects and resolves URLs two at a time, "plain" collects
	// but takes no URLs, "shop" is a store.
	limits := sdk.Limits{Operations: map[sdk.Operation]sdk.OperationLimit{sdk.OpFetchProducts: {MaxBatch: 50}, sdk.OpResolveURLs: {MaxBatch: 2}}}
	plain := sdk.Limits{Operations: map[sdk.Operation]sdk.OperationLimit{sdk.OpFetchProducts: {MaxBatch: 50}}}
	e.manager = e.sys.Root.Spawn(ManagerProps(Options{
		Store: store,
		Platforms: func(name string) (Platform, bool) {
			switch name {
			case "src":
				return Platform{PID: ppid, Plugin: "fake", Collects: true, Limits: limits, Concurrency: 2}, true
			case "plain":
				return Platform{PID: ppid, Plugin: "plain", Collects: true, Limits: plain, Concurrency: 2}, true
			case "shop":
				return Platform{PID: ppid, Plugin: "shop", Limits: plain, Concurrency: 2}, true
			}
			return Platform{}, false
		},
		Observer: e,
		Logger:   slog.New(slog.NewTextHandler(e.logs, nil)),
	}))
	t.Cleanup(func() {
		_ = e.sys.Root.PoisonFuture(e.manager).Wait()
		_ = e.sys.Root.PoisonFuture(ppid).Wait()
		e.sys.Shutdown()
		// Let protoactor's dead-letter throttle goroutine finish on the
		// bubble's fake clock.
		<-time.After(2 * time.Second)
	})
	return e
}

// drain asks the manager to drain while the platform's calls wait at
// gate, then lets them answer and waits for the manager to have drained.
func (e *env) drain(t *testing.T, gate chan struct{}) {
	t.Helper()
	drained := e.sys.Root.RequestFuture(e.manager, &Drain{}, time.Minute)
	synctest.Wait()
	close(gate)
	if _, err := drained.Result(); err != nil {
		t.Fatal(err)
	}
}

func (e *env) submit(t *testing.T, platformName string, ids []string) *Submitted {
	t.Helper()
	res, err := e.sys.Root.RequestFuture(e.manager, &SubmitCollect{Platform: platformName, Ids: ids}, time.Minute).Result()
	if err != nil {
		t.Fatal(err)
	}
	return res.(*Submitted)
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(100001 + i)
	}
	return out
}

func TestCollectJobBatchesAndCheckpoints(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plat := &fakePlatform{answer: func(ids []string, _ int) *platform.CallResult { return products(ids) }}
		e := newEnv(t, newMemStore(), plat)
		sub := e.submit(t, "src", ids(120))
		if sub.GetError() != nil {
			t.Fatal(sub.GetError())
		}
		synctest.Wait()
		j := e.store.job(sub.GetJob().GetId())
		if j.GetState() != State_STATE_SUCCEEDED || j.GetSucceeded() != 120 || j.GetFailed() != 0 || j.GetCalls() != 3 {
			t.Fatalf("job %v", j)
		}
		if j.GetStartedAt() == nil || j.GetFinishedAt() == nil {
			t.Error("job lacks start or finish time")
		}
		slices.Sort(plat.batches)
		if !slices.Equal(plat.batches, []int{20, 50, 50}) {
			t.Errorf("batches %v, want 50, 50 and 20", plat.batches)
		}
		if len(e.store.products) != 120 || e.store.commits != 3 {
			t.Errorf("%d products in %d commits", len(e.store.products), e.store.commits)
		}
		want := []string{"STATE_QUEUED->STATE_QUEUED", "STATE_QUEUED->STATE_RUNNING", "STATE_RUNNING->STATE_SUCCEEDED"}
		if !slices.Equal(e.changes, want) {
			t.Errorf("state changes %v, want %v", e.changes, want)
		}
	})
}

func TestWindowBoundsOutstandingBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		plat := &fakePlatform{gate: gate, answer: func(ids []string, _ int) *platform.CallResult { return products(ids) }}
		e := newEnv(t, newMemStore(), plat)
		sub := e.submit(t, "src", ids(500))
		synctest.Wait()
		if plat.inFlight != 4 {
			t.Errorf("%d batches outstanding, want 4 (twice the platform's concurrency of 2)", plat.inFlight)
		}
		close(gate)
		synctest.Wait()
		if plat.peak != 4 || e.store.job(sub.GetJob().GetId()).GetSucceeded() != 500 {
			t.Errorf("peak %d, job %v", plat.peak, e.store.job(sub.GetJob().GetId()))
		}
	})
}

func TestItemErrorsFailAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plat := &fakePlatform{answer: func(ids []string, _ int) *platform.CallResult { return products(ids) }}
		e := newEnv(t, newMemStore(), plat)
		list := append(ids(3), "missing")
		sub := e.submit(t, "src", list)
		synctest.Wait()
		j := e.store.job(sub.GetJob().GetId())
		if j.GetState() != State_STATE_PARTIAL || j.GetSucceeded() != 3 || j.GetFailed() != 1 {
			t.Fatalf("job %v", j)
		}
		it := e.store.items[j.GetId()][3]
		if it.GetState() != ItemState_ITEM_FAILED || it.GetError().GetCode() != "ITEM_NOT_FOUND" || it.GetAttempts() != 1 {
			t.Errorf("failed item %v (permanent errors are not retried)", it)
		}
	})
}

func TestTransientFailuresAreRetriedThenGivenUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plat := &fakePlatform{answer: func(ids []string, call int) *platform.CallResult {
			if ids[0] == "flaky" && call == 1 {
				return &platform.CallResult{Attempts: 5, Error: model.Unavailable("503", "down")}
			}
			if ids[0] == "doomed" {
				return &platform.CallResult{Attempts: 5, Error: model.Unavailable("503", "down")}
			}
			return products(ids)
		}}
		e := newEnv(t, newMemStore(), plat)
		start := time.Now()
		flaky := e.submit(t, "src", []string{"flaky"})
		synctest.Wait()
		// A batch the platform actor gave up on makes the job wait before
		// the next try: half a second after the first such failure.
		if j := e.store.job(flaky.GetJob().GetId()); !j.GetPausedUntil().AsTime().Equal(start.Add(500 * time.Millisecond)) {
			t.Errorf("after a failed batch the job waits until %v, want 500ms", j.GetPausedUntil().AsTime().Sub(start))
		}
		<-time.After(time.Minute)
		j := e.store.job(flaky.GetJob().GetId())
		if j.GetState() != State_STATE_SUCCEEDED || e.store.items[j.GetId()][0].GetAttempts() != 2 || j.GetCalls() != 6 {
			t.Errorf("flaky job %v, item %v", j, e.store.items[j.GetId()][0])
		}
		start = time.Now()
		doomed := e.submit(t, "src", []string{"doomed"})
		<-time.After(time.Minute)
		j = e.store.job(doomed.GetJob().GetId())
		it := e.store.items[j.GetId()][0]
		if j.GetState() != State_STATE_FAILED || it.GetAttempts() != 3 || it.GetError().GetCode() != "503" {
			t.Errorf("doomed job %v, item %v", j, it)
		}
		// Waits of 0.5s then 1s between the three tries.
		if got := j.GetFinishedAt().AsTime().Sub(start); got != 1500*time.Millisecond {
			t.Errorf("doomed job finished after %v, want 1.5s of backing off", got)
		}
	})
}

func TestSubmissionsThatCannotRunAreRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, newMemStore(), &fakePlatform{})
		if sub := e.submit(t, "nope", ids(1)); sub.GetError().GetCode() != "unknown_platform" {
			t.Errorf("unknown platform: %v", sub)
		}
		if sub := e.submit(t, "shop", ids(1)); sub.GetError().GetCode() != CodeUnsupportedOperation {
			t.Errorf("a store: %v", sub)
		}
		// Only URLs, and the plugin says it takes none: nothing could
		// succeed.
		sub := e.submit(t, "plain", []string{productURL("100001"), productURL("100002")})
		if e := sub.GetError(); e.GetCode() != CodeBadURL || !strings.Contains(e.GetMessage(), "plugin plain does not take product page URLs, such as "+productURL("100001")+"; give product ids instead") {
			t.Errorf("only URLs to a plugin that takes none: %v", sub)
		}
		if len(e.store.jobs) != 0 {
			t.Errorf("refused submissions persisted %d jobs", len(e.store.jobs))
		}
	})
}

func TestResumeFetchesOnlyPendingItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		j := &Job{Id: "01JOB", Kind: Kind_KIND_COLLECT, Platform: "src", State: State_STATE_RUNNING, Total: 60, Succeeded: 10}
		_ = store.Create(j, ids(60))
		for _, it := range store.items["01JOB"][:10] {
			it.State = ItemState_ITEM_SUCCEEDED
		}
		plat := &fakePlatform{answer: func(ids []string, _ int) *platform.CallResult { return products(ids) }}
		newEnv(t, store, plat)
		synctest.Wait()
		got := store.job("01JOB")
		if got.GetState() != State_STATE_SUCCEEDED || got.GetSucceeded() != 60 {
			t.Errorf("resumed job %v", got)
		}
		sum := 0
		for _, n := range plat.batches {
			sum += n
		}
		if sum != 50 {
			t.Errorf("resumed job fetched %v items, want the 50 pending", plat.batches)
		}
	})
}

func TestDrainCheckpointsInFlightBatchesAndLeavesTheJobRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		plat := &fakePlatform{gate: gate, answer: func(ids []string, _ int) *platform.CallResult { return products(ids) }}
		e := newEnv(t, newMemStore(), plat)
		sub := e.submit(t, "src", ids(1000))
		synctest.Wait()
		e.drain(t, gate)
		j := e.store.job(sub.GetJob().GetId())
		if j.GetState() != State_STATE_RUNNING || j.GetSucceeded() != 200 || plat.calls != 4 {
			t.Errorf("after drain: job %v after %d calls; want running with the 4 in-flight batches (200 items) checkpointed", j, plat.calls)
		}
		if sub := e.submit(t, "src", ids(1)); sub.GetError().GetCode() != "stopping" {
			t.Errorf("submit while draining: %v", sub)
		}
	})
}

// TestFailedCheckpointFailsTheJob: a batch that cannot be saved ends the
// job visibly, failed with the store's error, its items still pending;
// it is not left running with nothing to run it.
func TestFailedCheckpointFailsTheJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		store.failNext = true
		plat := &fakePlatform{answer: func(ids []string, _ int) *platform.CallResult { return products(ids) }}
		e := newEnv(t, store, plat)
		sub := e.submit(t, "src", ids(10))
		synctest.Wait()
		j := store.job(sub.GetJob().GetId())
		pending, _ := store.Pending(j.GetId())
		if j.GetState() != State_STATE_FAILED || len(pending) != 10 || len(store.products) != 0 || j.GetSucceeded() != 0 {
			t.Errorf("after a failed checkpoint: job %v, %d pending, %d products", j, len(pending), len(store.products))
		}
		if !strings.Contains(j.GetError(), "cannot checkpoint a batch: disk full") || j.GetFinishedAt() == nil {
			t.Errorf("job error %q, finished %v; want the checkpoint's failure and a finish time", j.GetError(), j.GetFinishedAt())
		}
		if !strings.Contains(e.logs.String(), `level=ERROR msg="job failed: its progress cannot be saved"`) {
			t.Errorf("no error logged:\n%s", e.logs.String())
		}
		res, err := e.sys.Root.RequestFuture(e.manager, &Cancel{JobId: j.GetId()}, time.Minute).Result()
		if err != nil || res.(*Cancelled).GetError() == nil {
			t.Errorf("cancel of the failed job = %v, %v; want a refusal", res, err)
		}
	})
}

func TestRefusedCallsPauseTheJobWithoutSpendingAttempts(t *testing.T) {
	for name, refusal := range map[string]*model.Error{
		"open circuit": model.RateLimited(5*time.Second, platform.CodeCircuitOpen, "platform src is failing"),
		"rate limited": model.RateLimited(5*time.Second, "7", "This ban will last for 5 more seconds"),
		"failed":       model.NewError(model.KindUnavailable, platform.CodePlatformFailed, "platform src failed: plugin exited 6 times in 1m", 5*time.Second),
		"unauthorized": model.NewError(model.KindAuth, "25", "taobao.src: the platform rejected the signature", 5*time.Second),
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				plat := &fakePlatform{answer: func(ids []string, call int) *platform.CallResult {
					// Refuse everything for the first five seconds, as a
					// breaker or a ban does, however many calls come.
					if time.Since(start) < 5*time.Second {
						return &platform.CallResult{Attempts: 1, Error: refusal}
					}
					return products(ids)
				}}
				store := newMemStore()
				e := newEnv(t, store, plat)
				sub := e.submit(t, "src", ids(120))
				synctest.Wait()
				paused := store.job(sub.GetJob().GetId())
				if paused.GetPausedUntil() == nil || paused.GetPausedReason() == "" || paused.GetState() != State_STATE_RUNNING {
					t.Fatalf("while refused: %v, want running and paused with a reason", paused)
				}
				<-time.After(10 * time.Second)
				synctest.Wait()
				j := store.job(sub.GetJob().GetId())
				if j.GetState() != State_STATE_SUCCEEDED || j.GetSucceeded() != 120 {
					t.Fatalf("job %v, want it to resume and finish on its own", j)
				}
				for _, it := range store.items[j.GetId()] {
					if it.GetAttempts() != 1 {
						t.Fatalf("item %v spent attempts while the platform refused calls", it)
					}
				}
				if plat.calls > 3+4 {
					t.Errorf("%d calls: the job kept knocking while paused", plat.calls)
				}
			})
		})
	}
}

func TestSpentRetryBudgetBacksOffWithoutSpendingAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plat := &fakePlatform{answer: func(ids []string, call int) *platform.CallResult {
			if call <= 2 {
				return &platform.CallResult{Attempts: 1, BudgetExhausted: true, Error: model.Unavailable("503", "down")}
			}
			return products(ids)
		}}
		store := newMemStore()
		e := newEnv(t, store, plat)
		start := time.Now()
		sub := e.submit(t, "src", ids(10))
		<-time.After(time.Minute)
		j := store.job(sub.GetJob().GetId())
		if j.GetState() != State_STATE_SUCCEEDED || store.items[j.GetId()][0].GetAttempts() != 1 {
			t.Fatalf("job %v, item %v: want success with the refused tries not counted", j, store.items[j.GetId()][0])
		}
		// Backed off 0.5s, then 1s.
		if got := j.GetFinishedAt().AsTime().Sub(start); got != 1500*time.Millisecond {
			t.Errorf("finished after %v, want 1.5s", got)
		}
	})
}

func TestCancelStopsAJobAndKeepsWhatIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		plat := &fakePlatform{gate: gate, answer: func(ids []string, _ int) *platform.CallResult { return products(ids) }}
		store := newMemStore()
		e := newEnv(t, store, plat)
		sub := e.submit(t, "src", ids(1000))
		synctest.Wait()
		answer := e.sys.Root.RequestFuture(e.manager, &Cancel{JobId: sub.GetJob().GetId()}, time.Minute)
		synctest.Wait()
		close(gate) // the four batches in flight come back
		res, err := answer.Result()
		if err != nil {
			t.Fatal(err)
		}
		c := res.(*Cancelled)
		if c.GetError() != nil || c.GetJob().GetState() != State_STATE_CANCELLED || c.GetJob().GetSucceeded() != 200 {
			t.Fatalf("cancel answered %v", c)
		}
		j := store.job(sub.GetJob().GetId())
		pending, _ := store.Pending(j.GetId())
		if j.GetState() != State_STATE_CANCELLED || j.GetFinishedAt() == nil || len(pending) != 800 || plat.calls != 4 {
			t.Errorf("after cancel: job %v, %d pending, %d calls; want cancelled with the in-flight batches kept and nothing more sent", j, len(pending), plat.calls)
		}
		// A cancelled job is not resumed, and cancelling it again says so.
		if unf, _ := store.Unfinished(); len(unf) != 0 {
			t.Errorf("unfinished after cancel: %v", unf)
		}
		res, _ = e.sys.Root.RequestFuture(e.manager, &Cancel{JobId: j.GetId()}, time.Minute).Result()
		if res.(*Cancelled).GetError().GetCode() != "job_not_running" {
			t.Errorf("second cancel: %v", res)
		}
	})
}

// TestCancelAsTheJobFinishes: a cancel that reaches the manager while the
// job is finishing is answered at once, cancelled or not running, never
// dropped on a stopping actor (which left the caller waiting out its ask).
func TestCancelAsTheJobFinishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plat := &fakePlatform{answer: func(ids []string, _ int) *platform.CallResult { return products(ids) }}
		e := newEnv(t, newMemStore(), plat)
		for i := range 50 {
			sub := e.submit(t, "src", ids(1+i%3))
			// Twice: the second cancel finds the job over, or stopping.
			for range 2 {
				res, err := e.sys.Root.RequestFuture(e.manager, &Cancel{JobId: sub.GetJob().GetId()}, time.Minute).Result()
				if err != nil {
					t.Fatalf("job %d: cancel unanswered: %v", i, err)
				}
				c := res.(*Cancelled)
				if c.GetError() != nil && c.GetError().GetCode() != model.CodeJobNotRunning {
					t.Fatalf("job %d: cancel answered %v", i, c)
				}
			}
		}
	})
}
