package platform

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform/retry"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
)

// fakeConn is a plugin whose answers the test scripts.
type fakeConn struct {
	desc   sdk.Description
	fetch  func(ctx context.Context, ids []string) (*model.FetchProductsResponse, error)
	exited atomic.Bool
	killed atomic.Int32
	calls  atomic.Int32
}

func newFake(fetch func(ctx context.Context, ids []string) (*model.FetchProductsResponse, error)) *fakeConn {
	return &fakeConn{
		desc: sdk.Description{
			Name: "fake", Version: "1.0", Capabilities: []sdk.Capability{sdk.CapabilityCollect},
			Limits: sdk.Limits{Rate: 1000, Burst: 1000, Operations: map[sdk.Operation]sdk.OperationLimit{sdk.OpFetchProducts: {MaxBatch: 5}}},
		},
		fetch: fetch,
	}
}

func ok(ids []string) *model.FetchProductsResponse {
	r := &model.FetchProductsResponse{}
	for _, id := range ids {
		r.Results = append(r.Results, &model.ProductResult{Id: id, Product: &model.Product{Id: id}})
	}
	return r
}

func (f *fakeConn) Description() sdk.Description            { return f.desc }
func (f *fakeConn) Configure(context.Context, []byte) error { return nil }

// Invoke answers fetches with the script and refuses the rest.
func (f *fakeConn) Invoke(ctx context.Context, req proto.Message) (proto.Message, error) {
	if r, ok := req.(*model.FetchProductsRequest); ok {
		f.calls.Add(1)
		return f.fetch(ctx, r.GetIds())
	}
	return nil, errors.New("not scripted")
}
func (f *fakeConn) Ping() error {
	if f.exited.Load() {
		return errors.New("connection refused")
	}
	return nil
}
func (f *fakeConn) Exited() bool { return f.exited.Load() }
func (f *fakeConn) Kill()        { f.killed.Add(1); f.exited.Store(true) }

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	calls    []CallRecord
	restarts []string
	breaker  []string
	states   []string
}

func (r *recorder) CallFinished(c CallRecord) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}
func (r *recorder) breakerStates() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.breaker)
}

func (r *recorder) BreakerChanged(_, state string) {
	r.mu.Lock()
	r.breaker = append(r.breaker, state)
	r.mu.Unlock()
}
func (r *recorder) PluginRestarted(_, reason string) {
	r.mu.Lock()
	r.restarts = append(r.restarts, reason)
	r.mu.Unlock()
}

type harness struct {
	sys *actor.ActorSystem
	pid *actor.PID
	obs *recorder
}

// spawn starts a platform actor on conn inside the synctest bubble.
func spawn(t *testing.T, conn Conn, tweak func(*Options)) *harness {
	t.Helper()
	obs := &recorder{}
	opts := Options{
		Name: "p1", Plugin: "fake", Conn: conn,
		Launch:      func(context.Context) (Conn, error) { return nil, errors.New("no launcher") },
		Timeout:     time.Second,
		Concurrency: 4,
		Retry:       Retry{MaxAttempts: 4, Backoff: retry.Policy{Base: 100 * time.Millisecond, Max: time.Second}},
		Observer:    obs,
		Rand:        func() float64 { return 0.5 },
	}
	if tweak != nil {
		tweak(&opts)
	}
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	pid := sys.Root.Spawn(Props(opts))
	t.Cleanup(func() {
		_ = sys.Root.PoisonFuture(pid).Wait()
		sys.Shutdown()
		// protoactor throttles dead-letter logging with a goroutine that
		// waits one interval; let the bubble's fake clock run past it so
		// the bubble ends with no goroutine left.
		<-time.After(2 * time.Second)
	})
	return &harness{sys: sys, pid: pid, obs: obs}
}

// records returns what the observer was told. A status request first
// makes sure the actor has handled every attempt whose answer the test
// already has: the actor hears of an attempt before its caller does.
func (h *harness) records(t *testing.T) []CallRecord {
	t.Helper()
	if _, err := GetStatus(context.Background(), h.sys.Root, h.pid); err != nil {
		t.Fatal(err)
	}
	h.obs.mu.Lock()
	defer h.obs.mu.Unlock()
	return slices.Clone(h.obs.calls)
}

func fetch(ids ...string) *Call {
	return NewCall(&model.FetchProductsRequest{Ids: ids})
}

func (h *harness) do(t *testing.T, c *Call) *CallResult {
	t.Helper()
	res, err := Request(context.Background(), h.sys.Root, h.pid, c)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCallSucceedsFirstTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := spawn(t, newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) { return ok(ids), nil }), nil)
		res := h.do(t, fetch("1", "2"))
		if res.GetError() != nil || len(res.GetFetchProducts().GetResults()) != 2 || res.GetAttempts() != 1 {
			t.Fatalf("result %v", res)
		}
		if recs := h.records(t); len(recs) != 1 || recs[0].Outcome != OutcomeOK || recs[0].Items != 2 || recs[0].Operation != sdk.OpFetchProducts {
			t.Errorf("observed %+v", recs)
		}
	})
}

func TestRetriesWithBackoffThenSucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Duration
		start := time.Now()
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) {
			times = append(times, time.Since(start))
			if len(times) < 3 {
				return nil, model.Unavailable("503", "busy")
			}
			return ok(ids), nil
		})
		h := spawn(t, conn, nil)
		res := h.do(t, fetch("1"))
		if res.GetError() != nil || res.GetAttempts() != 3 {
			t.Fatalf("result %v", res)
		}
		// Full jitter with rnd 0.5: half of 100ms, then half of 200ms.
		want := []time.Duration{0, 50 * time.Millisecond, 150 * time.Millisecond}
		for i := range want {
			if times[i] != want[i] {
				t.Errorf("attempt %d at %v, want %v", i+1, times[i], want[i])
			}
		}
	})
}

func TestRetryAfterIsHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Duration
		start := time.Now()
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) {
			times = append(times, time.Since(start))
			if len(times) == 1 {
				return nil, model.RateLimited(7*time.Second, "7", "This ban will last for 7 more seconds")
			}
			return ok(ids), nil
		})
		h := spawn(t, conn, nil)
		if res := h.do(t, fetch("1")); res.GetError() != nil {
			t.Fatal(res.GetError())
		}
		if times[1] != 7*time.Second {
			t.Errorf("retry at %v, want 7s (the platform's ban, above the 1s backoff cap)", times[1])
		}
		if first := h.records(t)[0]; first.Outcome != "rate_limited" || first.Code != "7" {
			t.Errorf("first attempt recorded as %+v", first)
		}
	})
}

func TestPermanentErrorsAreNotRetried(t *testing.T) {
	for name, e := range map[string]*model.Error{
		"invalid":   model.Invalid("isv.invalid-parameter", "bad id"),
		"auth":      model.Auth("27", "Invalid session"),
		"not found": model.NotFound("404", "gone"),
		"conflict":  model.Conflict("409", "version"),
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				conn := newFake(func(context.Context, []string) (*model.FetchProductsResponse, error) { return nil, e })
				h := spawn(t, conn, nil)
				res := h.do(t, fetch("1"))
				if got := res.Err(); got == nil || got.Kind != e.Kind || got.Code != e.Code || res.GetAttempts() != 1 || conn.calls.Load() != 1 {
					t.Errorf("got %v after %d attempts (%d calls), want %v after 1", got, res.GetAttempts(), conn.calls.Load(), e)
				}
			})
		})
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := newFake(func(context.Context, []string) (*model.FetchProductsResponse, error) {
			return nil, model.Unavailable("503", "down")
		})
		h := spawn(t, conn, nil)
		res := h.do(t, fetch("1"))
		if res.Err() == nil || res.Err().Code != "503" || res.GetAttempts() != 4 || conn.calls.Load() != 4 {
			t.Errorf("got %v after %d attempts, want 503 after 4", res.Err(), res.GetAttempts())
		}
	})
}

func TestNoRetryPastTheCallersDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := newFake(func(context.Context, []string) (*model.FetchProductsResponse, error) {
			return nil, model.RateLimited(time.Minute, "429", "slow down")
		})
		h := spawn(t, conn, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		res, err := Request(ctx, h.sys.Root, h.pid, fetch("1"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Err() == nil || res.Err().Kind != model.KindRateLimited || conn.calls.Load() != 1 {
			t.Errorf("got %v after %d calls, want the rate-limit error after 1", res.Err(), conn.calls.Load())
		}
		if time.Since(start) != 0 {
			t.Errorf("waited %v for a retry that could not fit before the deadline", time.Since(start))
		}
	})
}

func TestTimeoutIsRetryable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := newFake(func(ctx context.Context, ids []string) (*model.FetchProductsResponse, error) {
			if ids[0] == "hang" {
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return ok(ids), nil
		})
		h := spawn(t, conn, func(o *Options) { o.Retry.MaxAttempts = 2 })
		start := time.Now()
		res := h.do(t, fetch("hang"))
		if res.Err() == nil || res.Err().Code != codeTimeout || res.GetAttempts() != 2 {
			t.Fatalf("got %v after %d attempts", res.Err(), res.GetAttempts())
		}
		// Two one-second timeouts and a 50ms backoff.
		if got := time.Since(start); got != 2050*time.Millisecond {
			t.Errorf("took %v, want 2.05s", got)
		}
		if first := h.records(t)[0]; first.Outcome != OutcomeTimeout {
			t.Errorf("recorded %q", first.Outcome)
		}
	})
}

func TestConcurrencyCapAndPriority(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var inFlight, peak atomic.Int32
		var order []string
		var mu sync.Mutex
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) {
			n := inFlight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			if ids[0] == "block" {
				<-release
			}
			mu.Lock()
			order = append(order, ids[0])
			mu.Unlock()
			inFlight.Add(-1)
			return ok(ids), nil
		})
		h := spawn(t, conn, func(o *Options) { o.Concurrency = 1; o.Timeout = time.Hour })
		var wg sync.WaitGroup
		send := func(id string, pri Priority) {
			c := fetch(id)
			c.Priority = pri
			wg.Go(func() { h.do(t, c) })
			synctest.Wait()
		}
		send("block", Priority_PRIORITY_BULK)
		for _, id := range []string{"bulk1", "bulk2", "bulk3"} {
			send(id, Priority_PRIORITY_BULK)
		}
		send("interactive", Priority_PRIORITY_INTERACTIVE)
		st, err := GetStatus(context.Background(), h.sys.Root, h.pid)
		if err != nil {
			t.Fatal(err)
		}
		if st.GetInFlight() != 1 || st.GetQueued() != 4 {
			t.Errorf("status in flight %d queued %d, want 1 and 4", st.GetInFlight(), st.GetQueued())
		}
		close(release)
		wg.Wait()
		if peak.Load() != 1 {
			t.Errorf("%d calls in flight at once with concurrency 1", peak.Load())
		}
		want := []string{"block", "interactive", "bulk1", "bulk2", "bulk3"}
		for i := range want {
			if order[i] != want[i] {
				t.Fatalf("order %v, want %v", order, want)
			}
		}
	})
}

func TestRateLimitPacesCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) { return ok(ids), nil })
		h := spawn(t, conn, func(o *Options) { o.RateLimit = &RateLimit{Rate: 10, Burst: 2} })
		start := time.Now()
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() { h.do(t, fetch("1")) })
		}
		wg.Wait()
		// Two from the burst, four more at 10/s.
		if got := time.Since(start); got != 400*time.Millisecond {
			t.Errorf("6 calls took %v, want 400ms", got)
		}
		var waited time.Duration
		for _, c := range h.records(t) {
			waited += c.Waited
		}
		if waited == 0 {
			t.Error("no call recorded a wait for tokens")
		}
		st, _ := GetStatus(context.Background(), h.sys.Root, h.pid)
		if st.GetRate() != 10 || st.GetBurst() != 2 || st.GetLimitSource() != "config" {
			t.Errorf("status limiter %v/%v from %q", st.GetRate(), st.GetBurst(), st.GetLimitSource())
		}
	})
}

func TestRefusedCallsAnswerAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) { return ok(ids), nil })
		h := spawn(t, conn, nil)
		if res := h.do(t, fetch("1", "2", "3", "4", "5", "6")); res.Err() == nil || res.Err().Code != "batch_too_large" {
			t.Errorf("oversized batch: %v", res.Err())
		}
		up := NewCall(&model.UpsertProductsRequest{})
		if res := h.do(t, up); res.Err() == nil || res.Err().Code != "unsupported" {
			t.Errorf("publish on a collector: %v", res.Err())
		}
		if res := h.do(t, &Call{}); res.Err() == nil || res.Err().Code != "no_request" {
			t.Errorf("empty call: %v", res.Err())
		}
		if conn.calls.Load() != 0 {
			t.Errorf("refused calls reached the plugin %d times", conn.calls.Load())
		}
	})
}

func TestCrashedPluginIsRestartedAndTheCallRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFake(nil)
		first.fetch = func(context.Context, []string) (*model.FetchProductsResponse, error) {
			first.exited.Store(true)
			return nil, model.Unavailable(model.CodePluginUnreachable, "connection refused")
		}
		second := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) { return ok(ids), nil })
		var launches atomic.Int32
		h := spawn(t, first, func(o *Options) {
			o.Launch = func(context.Context) (Conn, error) { launches.Add(1); return second, nil }
		})
		res := h.do(t, fetch("1"))
		if res.Err() != nil || res.GetAttempts() != 2 {
			t.Fatalf("got %v after %d attempts, want success on the new plugin", res.Err(), res.GetAttempts())
		}
		if launches.Load() != 1 || first.killed.Load() == 0 || second.calls.Load() != 1 {
			t.Errorf("launches %d, old killed %d, new calls %d", launches.Load(), first.killed.Load(), second.calls.Load())
		}
		st, _ := GetStatus(context.Background(), h.sys.Root, h.pid)
		if st.GetRestarts() != 1 || st.GetState() != State_STATE_READY || st.GetLastError() == "" {
			t.Errorf("status %v", st)
		}
		if len(h.obs.restarts) != 1 {
			t.Errorf("observer saw restarts %v", h.obs.restarts)
		}
	})
}

func TestRestartBacksOffWhileLaunchFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var launches []time.Duration
		start := time.Now()
		good := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) { return ok(ids), nil })
		h := spawn(t, nil, func(o *Options) {
			o.Conn = nil
			o.Restart = retry.Policy{Base: time.Second, Max: time.Minute}
			o.Launch = func(context.Context) (Conn, error) {
				launches = append(launches, time.Since(start))
				if len(launches) < 4 {
					return nil, errors.New("exec format error")
				}
				return good, nil
			}
		})
		res := h.do(t, fetch("1"))
		if res.Err() != nil {
			t.Fatal(res.Err())
		}
		// Jitter 0.5 of windows 1s, 2s, 4s after the first try at 0.
		want := []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond, 3500 * time.Millisecond}
		for i := range want {
			if launches[i] != want[i] {
				t.Fatalf("launches at %v, want %v", launches, want)
			}
		}
	})
}

func TestRefusedConfigDisablesThePlatform(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := spawn(t, nil, func(o *Options) {
			o.Conn = nil
			o.Launch = func(context.Context) (Conn, error) { return &refusingConn{fakeConn: newFake(nil)}, nil }
		})
		res := h.do(t, fetch("1"))
		if res.Err() == nil || res.Err().Kind != model.KindUnavailable || res.Err().Code != "platform_failed" {
			// The call may have been queued before the launch failed.
			if res.Err() == nil || res.Err().Kind != model.KindInvalid {
				t.Fatalf("got %v", res.Err())
			}
		}
		st, _ := GetStatus(context.Background(), h.sys.Root, h.pid)
		if st.GetState() != State_STATE_FAILED {
			t.Errorf("state %v, want FAILED", st.GetState())
		}
		if res := h.do(t, fetch("1")); res.Err() == nil || res.Err().Code != "platform_failed" {
			t.Errorf("call to a failed platform: %v", res.Err())
		}
	})
}

type refusingConn struct{ *fakeConn }

func (r *refusingConn) Configure(context.Context, []byte) error {
	return model.Invalid("config", "app_key: required field is missing")
}

func TestDrainFinishesInFlightAndFailsTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) {
			<-release
			return ok(ids), nil
		})
		h := spawn(t, conn, func(o *Options) { o.Concurrency = 1; o.Timeout = time.Hour })
		results := make(chan *CallResult, 2)
		for _, id := range []string{"inflight", "queued"} {
			go func() { results <- h.do(t, fetch(id)) }()
			synctest.Wait()
		}
		drained := h.sys.Root.RequestFuture(h.pid, &Drain{}, time.Minute)
		synctest.Wait()
		queued := <-results
		if queued.Err() == nil || queued.Err().Code != "stopping" {
			t.Fatalf("queued call: %v, want UNAVAILABLE stopping", queued.Err())
		}
		if res := h.do(t, fetch("late")); res.Err() == nil || res.Err().Code != "stopping" {
			t.Errorf("call after drain: %v", res.Err())
		}
		if conn.killed.Load() != 0 {
			t.Fatal("plugin killed with a call in flight")
		}
		close(release)
		if inflight := <-results; inflight.Err() != nil {
			t.Errorf("in-flight call: %v", inflight.Err())
		}
		if msg, err := drained.Result(); err != nil {
			t.Fatal(err)
		} else if _, ok := msg.(*Drained); !ok {
			t.Fatalf("drain answered %T", msg)
		}
		if conn.killed.Load() == 0 {
			t.Error("plugin not stopped after draining")
		}
	})
}

func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) {
			if time.Since(start) < 20*time.Second {
				return nil, model.Unavailable("503", "down")
			}
			return ok(ids), nil
		})
		h := spawn(t, conn, func(o *Options) {
			o.Retry.MaxAttempts = 1
			o.Breaker = BreakerOptions{Window: 10 * time.Second, MinCalls: 5, FailureRatio: 0.5, Cooldown: 30 * time.Second, Probes: 1}
		})
		for range 5 {
			if res := h.do(t, fetch("1")); res.GetError().GetCode() != "503" {
				t.Fatalf("before the breaker opens: %v", res.Err())
			}
		}
		res := h.do(t, fetch("1"))
		if e := res.Err(); e == nil || e.Code != CodeCircuitOpen || e.Kind != model.KindRateLimited || e.Wait() != 30*time.Second {
			t.Fatalf("with the breaker open: %v, want circuit_open with a 30s retry-after", e)
		}
		if conn.calls.Load() != 5 {
			t.Errorf("the open breaker let a call through: %d plugin calls", conn.calls.Load())
		}
		st, _ := GetStatus(context.Background(), h.sys.Root, h.pid)
		if st.GetBreaker() != "open" || st.GetBreakerUntil() == nil {
			t.Errorf("status breaker %q until %v", st.GetBreaker(), st.GetBreakerUntil())
		}
		<-time.After(31 * time.Second) // the cooldown ends; the platform is back
		if res := h.do(t, fetch("1")); res.Err() != nil {
			t.Fatalf("probe after the cooldown: %v", res.Err())
		}
		st, _ = GetStatus(context.Background(), h.sys.Root, h.pid)
		if st.GetBreaker() != "closed" {
			t.Errorf("after a good probe the breaker is %q", st.GetBreaker())
		}
		if !slices.Equal(h.obs.breakerStates(), []string{"open", "half-open", "closed"}) {
			t.Errorf("observer saw %v", h.obs.breakerStates())
		}
	})
}

func TestRateLimitedAnswersDoNotTripTheBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := newFake(func(context.Context, []string) (*model.FetchProductsResponse, error) {
			return nil, model.RateLimited(0, "7", "limited")
		})
		h := spawn(t, conn, func(o *Options) {
			o.Retry.MaxAttempts = 1
			o.Breaker = BreakerOptions{Window: 10 * time.Second, MinCalls: 2, FailureRatio: 0.5, Cooldown: time.Minute, Probes: 1}
		})
		for range 10 {
			h.do(t, fetch("1"))
		}
		if st, _ := GetStatus(context.Background(), h.sys.Root, h.pid); st.GetBreaker() != "closed" {
			t.Errorf("rate limiting opened the breaker: %q", st.GetBreaker())
		}
	})
}

func TestRetryBudgetBoundsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := newFake(func(context.Context, []string) (*model.FetchProductsResponse, error) {
			return nil, model.Unavailable("503", "down")
		})
		h := spawn(t, conn, func(o *Options) {
			o.Retry.MaxAttempts = 5
			o.Budget = BudgetOptions{TTL: 10 * time.Second, Percent: 0.1, MinPerSec: 0.1} // 1 retry in reserve
			o.Breaker = BreakerOptions{Window: time.Second, MinCalls: 1 << 20, FailureRatio: 1, Cooldown: time.Second, Probes: 1}
		})
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() { h.do(t, fetch("1")) })
		}
		wg.Wait()
		// 50 first attempts; retries at most 10% of them plus the reserve.
		if got := conn.calls.Load(); got > 50+5+1 {
			t.Errorf("%d plugin calls for 50 calls: the budget did not hold (want at most 56)", got)
		}
		exhausted := 0
		for _, r := range h.records(t) {
			if r.BudgetExhausted {
				exhausted++
			}
		}
		if exhausted == 0 {
			t.Error("no call reported the budget exhausted")
		}
	})
}

func TestHungPluginIsRestarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hung := newFake(func(ctx context.Context, _ []string) (*model.FetchProductsResponse, error) {
			<-ctx.Done() // answers health checks, never a call
			return nil, ctx.Err()
		})
		healthy := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) { return ok(ids), nil })
		h := spawn(t, hung, func(o *Options) {
			o.HangAfter = 2
			o.Launch = func(context.Context) (Conn, error) { return healthy, nil }
		})
		res := h.do(t, fetch("1"))
		if res.Err() != nil || res.GetAttempts() != 3 {
			t.Fatalf("got %v after %d attempts, want success on the restarted plugin at the third", res.Err(), res.GetAttempts())
		}
		st, _ := GetStatus(context.Background(), h.sys.Root, h.pid)
		if st.GetRestarts() != 1 || !strings.Contains(st.GetLastError(), "plugin hung") {
			t.Errorf("status %v", st)
		}
		if hung.killed.Load() == 0 {
			t.Error("the hung plugin was not killed")
		}
	})
}

func TestQuotaFeedbackHoldsCallsUntilReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) {
			r := ok(ids)
			if time.Since(start) < time.Second {
				// The platform says the allowance is spent until 3s.
				r.Quota = &model.Quota{Remaining: 0, Limit: 40, Reset_: timestamppb.New(start.Add(3 * time.Second))}
			}
			return r, nil
		})
		h := spawn(t, conn, nil)
		h.do(t, fetch("1"))
		h.do(t, fetch("2"))
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("second call went at %v, want when the platform's quota reset (3s)", got)
		}
	})
}

// upsertConn is a store that fails its first write and records the keys it
// was sent.
type upsertConn struct {
	*fakeConn
	mu   sync.Mutex
	keys [][]string
}

func (u *upsertConn) Invoke(ctx context.Context, req proto.Message) (proto.Message, error) {
	r, ok := req.(*model.UpsertProductsRequest)
	if !ok {
		return u.fakeConn.Invoke(ctx, req)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	var keys []string
	for _, it := range r.GetItems() {
		keys = append(keys, it.GetIdempotencyKey())
	}
	u.keys = append(u.keys, keys)
	if len(u.keys) == 1 {
		// The write may have happened; the answer was lost.
		return nil, model.Unavailable("502", "bad gateway")
	}
	resp := &model.UpsertProductsResponse{}
	for _, k := range keys {
		resp.Results = append(resp.Results, &model.WriteResult{IdempotencyKey: k, RemoteId: "r-" + k})
	}
	return resp, nil
}

func TestRetriedWritesKeepTheirIdempotencyKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := &upsertConn{fakeConn: newFake(nil)}
		conn.desc.Capabilities = []sdk.Capability{sdk.CapabilityPublish}
		h := spawn(t, conn, nil)
		res := h.do(t, NewCall(&model.UpsertProductsRequest{Items: []*model.UpsertItem{
			{IdempotencyKey: "job1-0", Product: &model.Product{Id: "a"}},
			{IdempotencyKey: "job1-1", Product: &model.Product{Id: "b"}},
		}}))
		if res.Err() != nil || res.GetAttempts() != 2 {
			t.Fatalf("got %v after %d attempts", res.Err(), res.GetAttempts())
		}
		if len(conn.keys) != 2 || !slices.Equal(conn.keys[0], conn.keys[1]) || conn.keys[0][0] != "job1-0" {
			t.Errorf("keys sent per attempt %v: a retried write must carry the same keys, so the store applies it once", conn.keys)
		}
	})
}

func (r *recorder) StateChanged(_ string, state State, reason string) {
	r.mu.Lock()
	r.states = append(r.states, state.String()+": "+reason)
	r.mu.Unlock()
}

func (h *harness) status(t *testing.T) *Status {
	t.Helper()
	st, err := GetStatus(context.Background(), h.sys.Root, h.pid)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRejectedCredentialsFailFastWithWhatToCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const msg = "the platform rejected the signature — check app_secret and sign_method; Taobao said: Invalid signature"
		conn := newFake(func(context.Context, []string) (*model.FetchProductsResponse, error) {
			return nil, model.Auth("25", msg)
		})
		h := spawn(t, conn, nil) // concurrency 4
		// A job's window of batches arrives at once.
		results := make(chan *CallResult, 8)
		for i := range 8 {
			go func() { results <- h.do(t, fetch(string(rune('a'+i)))) }()
		}
		for range 8 {
			res := <-results
			e := res.Err()
			if e == nil || e.Kind != model.KindAuth || e.Code != "25" || e.Message != "fake.p1: "+msg || e.Wait() != recheckAfter {
				t.Fatalf("result %v, want AUTH 25 %q with a retry-after", e, "fake.p1: "+msg)
			}
		}
		if n := conn.calls.Load(); n != 1 {
			t.Errorf("%d calls reached the plugin, want 1: until a call succeeds they go one at a time", n)
		}
		st := h.status(t)
		if st.GetState() != State_STATE_UNAUTHORIZED || st.GetReason() != "fake.p1: "+msg {
			t.Errorf("status %v %q", st.GetState(), st.GetReason())
		}
		if res := h.do(t, fetch("late")); res.Err().GetKind() != model.KindAuth || conn.calls.Load() != 1 {
			t.Errorf("call to an unauthorized platform: %v, plugin calls %d", res.Err(), conn.calls.Load())
		}
		if recs := h.records(t); len(recs) != 1 || recs[0].Outcome != "auth" {
			t.Errorf("observed %+v, want one auth outcome", recs)
		}
		if len(h.obs.states) != 1 || !strings.HasPrefix(h.obs.states[0], "STATE_UNAUTHORIZED: fake.p1: ") {
			t.Errorf("observer saw states %v", h.obs.states)
		}
	})
}

func TestVerifiedCredentialsAllowFullConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var inFlight, peak atomic.Int32
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) {
			n := inFlight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			if ids[0] != "first" {
				<-release
			}
			inFlight.Add(-1)
			return ok(ids), nil
		})
		h := spawn(t, conn, func(o *Options) { o.Timeout = time.Hour })
		h.do(t, fetch("first"))
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() { h.do(t, fetch("later")) })
		}
		synctest.Wait()
		if st := h.status(t); st.GetInFlight() != 4 || st.GetQueued() != 2 {
			t.Errorf("in flight %d queued %d, want 4 and 2", st.GetInFlight(), st.GetQueued())
		}
		close(release)
		wg.Wait()
	})
}

// crashing is a plugin whose every call kills its process.
func crashing() *fakeConn {
	c := newFake(nil)
	c.fetch = func(context.Context, []string) (*model.FetchProductsResponse, error) {
		c.exited.Store(true)
		return nil, model.Unavailable(model.CodePluginUnreachable, "connection refused")
	}
	return c
}

func TestCrashLoopFailsThePlatform(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var launches atomic.Int32
		h := spawn(t, crashing(), func(o *Options) {
			o.RestartPolicy = RestartPolicy{Attempts: 2, Interval: time.Minute, Mode: RestartFail}
			o.Retry.MaxAttempts = 10
			o.Launch = func(context.Context) (Conn, error) { launches.Add(1); return crashing(), nil }
		})
		res := h.do(t, fetch("1"))
		const reason = "plugin exited 3 times in 1m"
		e := res.Err()
		if e.GetCode() != CodePlatformFailed || e.GetMessage() != "platform p1 failed: "+reason+"; fix the platform block and reload" || e.Wait() != recheckAfter {
			t.Fatalf("got %v, want platform_failed with the reason", e)
		}
		if res.GetAttempts() != 3 || launches.Load() != 2 {
			t.Errorf("attempts %d launches %d, want 3 and 2", res.GetAttempts(), launches.Load())
		}
		st := h.status(t)
		if st.GetState() != State_STATE_FAILED || st.GetReason() != reason || st.GetRestarts() != 2 || st.GetRetryAt() != nil {
			t.Errorf("status %v reason %q restarts %d retry at %v", st.GetState(), st.GetReason(), st.GetRestarts(), st.GetRetryAt())
		}
		if res := h.do(t, fetch("2")); res.Err().GetCode() != CodePlatformFailed || launches.Load() != 2 {
			t.Errorf("call to a failed platform: %v, launches %d", res.Err(), launches.Load())
		}
		// Long after, nothing was launched again.
		elapse(time.Hour)
		if launches.Load() != 2 {
			t.Errorf("launched %d times in fail mode", launches.Load())
		}
	})
}

func TestRestartsSpreadOverIntervalsDoNotFail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := spawn(t, crashing(), func(o *Options) {
			o.RestartPolicy = RestartPolicy{Attempts: 1, Interval: time.Minute, Mode: RestartFail}
			o.Retry.MaxAttempts = 1
			o.Launch = func(context.Context) (Conn, error) { return crashing(), nil }
		})
		for range 3 {
			if res := h.do(t, fetch("1")); res.Err().GetCode() != model.CodePluginUnreachable {
				t.Fatalf("got %v, want the crash itself", res.Err())
			}
			elapse(2 * time.Minute)
		}
		if st := h.status(t); st.GetState() == State_STATE_FAILED || st.GetRestarts() != 3 {
			t.Errorf("state %v restarts %d: one restart a interval is allowed", st.GetState(), st.GetRestarts())
		}
	})
}

func TestFailedPlatformRecoversAfterTheDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var launches atomic.Int32
		good := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) { return ok(ids), nil })
		h := spawn(t, crashing(), func(o *Options) {
			o.RestartPolicy = RestartPolicy{Attempts: 1, Interval: time.Minute, Delay: 10 * time.Minute, Mode: RestartDelay}
			o.Launch = func(context.Context) (Conn, error) {
				if launches.Add(1) == 1 {
					return crashing(), nil
				}
				return good, nil
			}
		})
		e := h.do(t, fetch("1")).Err()
		// The second crash came after one restart's backoff.
		retryAt := time.Now().Add(10 * time.Minute)
		want := "platform p1 failed: plugin exited 2 times in 1m; the plugin is tried again at " + retryAt.Format(time.TimeOnly)
		if e.GetCode() != CodePlatformFailed || e.GetMessage() != want || e.Wait() != 10*time.Minute {
			t.Fatalf("got %v, want %q", e, want)
		}
		if st := h.status(t); st.GetState() != State_STATE_FAILED || !st.GetRetryAt().AsTime().Equal(retryAt) {
			t.Errorf("status %v retry at %v", st.GetState(), st.GetRetryAt())
		}
		elapse(10 * time.Minute)
		if res := h.do(t, fetch("2")); res.Err() != nil {
			t.Fatalf("after the delay: %v", res.Err())
		}
		if st := h.status(t); st.GetState() != State_STATE_READY || st.GetReason() != "" {
			t.Errorf("status %v %q, want ready", st.GetState(), st.GetReason())
		}
		// Ready after the first restart, failed, ready after the delay.
		if got := h.obs.states; len(got) != 3 || !strings.HasPrefix(got[1], "STATE_FAILED") || got[2] != "STATE_READY: " {
			t.Errorf("observer saw %v", got)
		}
	})
}

// elapse moves a synctest bubble's clock on by d, then lets every
// goroutine the passing time woke settle. Inside the bubble nothing
// waits in real time.
func elapse(d time.Duration) {
	<-time.After(d)
	synctest.Wait()
}

// costPlatform is a platform that limits by cost as Shopify does: a
// leaky bucket of points; a call runs when the bucket holds what it asks
// (requested), takes that and gives back what it did not use (actual),
// and every answer reports what it cost and what the bucket holds. A
// call that does not fit is refused with the wait the bucket needs.
type costPlatform struct {
	mu                sync.Mutex
	size, rate        float64
	available         float64
	at                time.Time
	requested, actual float64
	spent             float64
	calls, refused    int
	// Until drainUntil another client spends drain points a second of
	// the same bucket.
	drain      float64
	drainUntil time.Time
}

func (c *costPlatform) fetch(_ context.Context, ids []string) (*model.FetchProductsResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	gain := c.rate * now.Sub(c.at).Seconds()
	if c.drainUntil.After(c.at) {
		gain -= c.drain * earliest(now, c.drainUntil).Sub(c.at).Seconds()
	}
	c.available = max(min(c.size, c.available+gain), 0)
	c.at = now
	if c.requested > c.available {
		c.refused++
		wait := time.Duration((c.requested - c.available) / c.rate * float64(time.Second))
		return nil, model.RateLimited(wait, "THROTTLED", "Throttled")
	}
	c.calls++
	c.spent += c.actual
	c.available -= c.actual
	r := ok(ids)
	r.Quota = &model.Quota{Remaining: int64(c.available), Limit: int64(c.size), Cost: c.actual}
	return r, nil
}

// drive spawns an actor on p, its plugin declaring a bucket of p's size
// at told tokens a second and a call cost of p.requested, and has 8
// callers call it for d. Failed calls fail the test unless refusals are
// expected.
func (p *costPlatform) drive(t *testing.T, told float64, d time.Duration, refusals bool) {
	conn := newFake(p.fetch)
	conn.desc.Limits = sdk.Limits{Rate: told, Burst: int(p.size), Operations: map[sdk.Operation]sdk.OperationLimit{sdk.OpFetchProducts: {MaxBatch: 5, Cost: p.requested}}}
	h := spawn(t, conn, func(o *Options) { o.Timeout = time.Minute })
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Since(start) < d {
				if res := h.do(t, fetch("1")); res.GetError() != nil && !refusals {
					t.Errorf("call failed: %v", res.GetError())
				}
			}
		})
	}
	wg.Wait()
}

// A platform that limits by cost is paced by what its calls really cost
// and by the bucket it reports, not by the cost each call declares: calls
// that ask for 50 points and spend 5 go ten times as often as the
// declared cost alone would allow, and none is refused.
func TestCostBasedPlatformSpendsWhatCallsCost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &costPlatform{size: 100, rate: 10, available: 100, at: time.Now(), requested: 50, actual: 5}
		p.drive(t, 10, time.Minute, false)
		p.mu.Lock()
		defer p.mu.Unlock()
		// The minute restores 600 points; the bucket's 100 at the start
		// are spent too, less the 50 a call must find there.
		if p.spent < 0.95*600 {
			t.Errorf("%d calls spent %.0f points in a minute of a bucket restoring 600, want at least 95 %% of them", p.calls, p.spent)
		}
		if p.refused > 0 {
			t.Errorf("%d calls were refused for cost", p.refused)
		}
	})
}

// Told a rate twice the platform's restore rate, the actor lowers its
// rate to what the reports show the platform refills: after the first
// few, calls are no longer refused.
func TestCostBasedRateFollowsASlowerPlatform(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &costPlatform{size: 100, rate: 10, available: 100, at: time.Now(), requested: 50, actual: 20}
		p.drive(t, 20, 2*time.Minute, true)
		p.mu.Lock()
		defer p.mu.Unlock()
		// Two minutes restore 1,200 points, 60 calls of 20.
		if p.refused > p.calls/20 {
			t.Errorf("%d of %d calls refused, want at most 5 %%", p.refused, p.calls+p.refused)
		}
		if p.spent < 0.9*1200 {
			t.Errorf("%.0f points spent in two minutes restoring 1,200", p.spent)
		}
	})
}

// A platform that counts calls (no cost in its answers) keeps the
// declared cost per call: a call of cost 50 at 10 tokens a second goes
// every 5 s once the burst is spent.
func TestCallCountingPlatformKeepsDeclaredCosts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn := newFake(func(_ context.Context, ids []string) (*model.FetchProductsResponse, error) {
			r := ok(ids)
			r.Quota = &model.Quota{Remaining: 1000, Limit: 1000}
			return r, nil
		})
		conn.desc.Limits = sdk.Limits{Rate: 10, Burst: 100, Operations: map[sdk.Operation]sdk.OperationLimit{sdk.OpFetchProducts: {MaxBatch: 5, Cost: 50}}}
		h := spawn(t, conn, nil)
		start := time.Now()
		for range 4 {
			h.do(t, fetch("1"))
		}
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("four calls of cost 50 from a bucket of 100 at 10/s took %v, want 10s", got)
		}
	})
}

// Another client spending half the bucket's restore rate for a minute
// brings the actor's rate down; once it stops, the rate comes back and
// the actor spends the whole restore rate again.
func TestCostBasedRateComesBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &costPlatform{size: 100, rate: 10, available: 100, at: time.Now(), requested: 50, actual: 20, drain: 5, drainUntil: time.Now().Add(time.Minute)}
		var before float64
		go func() {
			<-time.After(2 * time.Minute)
			p.mu.Lock()
			before = p.spent
			p.mu.Unlock()
		}()
		p.drive(t, 10, 3*time.Minute, true)
		p.mu.Lock()
		defer p.mu.Unlock()
		// The third minute restores 600 points, all for the actor.
		if last := p.spent - before; last < 0.9*600 {
			t.Errorf("%.0f points spent in the minute after the other client stopped, of 600 restored", last)
		}
	})
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
