package agent_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/plugins/sandbox/market"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
)

// launchSandbox starts the real sandbox plugin process, configured with
// no latency and no limits of its own.
func launchSandbox(b *testing.B) *host.Plugin {
	b.Helper()
	p, err := host.Launch(context.Background(), host.Options{Path: filepath.Join(bin, "marketsync-plugin-sandbox")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Kill)
	if err := p.Configure(context.Background(), []byte(`{}`)); err != nil {
		b.Fatal(err)
	}
	return p
}

// callers is the concurrency of the parallel measurement.
const callers = 8

// BenchmarkPlatformCall measures one fetch of one product through the
// platform actor (queue, limiter, retry bookkeeping, breaker, gRPC to the
// plugin process) against the floor: the same call made straight on the
// go-plugin gRPC client to a second process of the same plugin. Both are
// measured in the same run, interleaved, because absolute times drift on
// shared machines; the figures that matter are the ratios.
func BenchmarkPlatformCall(b *testing.B) {
	bare := launchSandbox(b)
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	pid := sys.Root.Spawn(platform.Props(platform.Options{
		Name: "bench", Plugin: "sandbox", Conn: launchSandbox(b),
		RateLimit:   &platform.RateLimit{Rate: 1e9, Burst: 1 << 20},
		Concurrency: callers,
		FixedRate:   true,
	}))
	b.Cleanup(func() { _ = sys.Root.PoisonFuture(pid).Wait() })
	ctx := context.Background()
	req := &model.FetchProductsRequest{Ids: []string{"100001"}}
	viaBare := func() error { _, err := bare.Invoke(ctx, req); return err }
	viaActor := func() error {
		res, err := platform.Request(ctx, sys.Root, pid, platform.NewCall(req))
		if err == nil && res.GetError() != nil {
			err = res.Err()
		}
		return err
	}
	for range 200 { // warm both paths up
		_, _ = viaBare(), viaActor()
	}

	b.Run("sequential", func(b *testing.B) {
		bareT := make([]time.Duration, 0, b.N)
		actorT := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			if err := viaBare(); err != nil {
				b.Fatal(err)
			}
			mid := time.Now()
			if err := viaActor(); err != nil {
				b.Fatal(err)
			}
			bareT = append(bareT, mid.Sub(start))
			actorT = append(actorT, time.Since(mid))
		}
		pb, pa := median(bareT), median(actorT)
		b.ReportMetric(float64(pb.Microseconds()), "bare-p50-µs")
		b.ReportMetric(float64(pa.Microseconds()), "actor-p50-µs")
		b.ReportMetric(100*(float64(pa)/float64(pb)-1), "overhead-%")
	})

	b.Run("parallel", func(b *testing.B) {
		const perRound = 25 // calls per caller per round
		var bareDur, actorDur time.Duration
		rounds := 0
		for b.Loop() {
			bareDur += burst(b, viaBare, perRound)
			actorDur += burst(b, viaActor, perRound)
			rounds++
		}
		calls := float64(rounds * callers * perRound)
		bareRate, actorRate := calls/bareDur.Seconds(), calls/actorDur.Seconds()
		b.ReportMetric(bareRate, "bare-calls/s")
		b.ReportMetric(actorRate, "actor-calls/s")
		b.ReportMetric(100*actorRate/bareRate, "actor-%-of-bare")
	})
}

// burst runs n calls on each of the callers at once and returns the time
// they took together.
func burst(b *testing.B, call func() error, n int) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for range n {
				if err := call(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkCollectJob1000 collects 1,000 products end to end: the API
// call, the job actor batching at the plugin's cap, the platform actor,
// the real sandbox plugin process, checkpoints in Badger (in memory).
func BenchmarkCollectJob1000(b *testing.B) {
	a := agenttest.New(b, bin, `platform "sandbox" "src" {
  rate_limit {
    rate  = 1000
    burst = 100
  }
}`)
	ctx := context.Background()
	list := make([]string, 1000)
	for i := range list {
		list[i] = itoa(100001 + i)
	}
	var calls int
	start := time.Now()
	jobs := 0
	for b.Loop() {
		j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: list})
		if err != nil {
			b.Fatal(err)
		}
		for !j.State.Final() {
			if j, err = a.Client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: time.Minute}); err != nil {
				b.Fatal(err)
			}
		}
		if j.Succeeded != 1000 {
			b.Fatalf("job %+v", j)
		}
		calls += j.Calls
		jobs++
	}
	b.ReportMetric(float64(jobs*1000)/time.Since(start).Seconds(), "products/s")
	b.ReportMetric(float64(calls)/float64(jobs), "plugin-calls/job")
}

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

// outcomes counts a platform actor's attempts by second and outcome.
type outcomes struct {
	mu      sync.Mutex
	start   time.Time
	ok      map[int]int
	limited map[int]int
}

func (o *outcomes) CallFinished(r platform.CallRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sec := int(time.Since(o.start) / time.Second)
	switch r.Outcome {
	case platform.OutcomeOK:
		o.ok[sec]++
	case "rate_limited":
		o.limited[sec]++
	}
}
func (o *outcomes) PluginRestarted(string, string) {}
func (o *outcomes) BreakerChanged(string, string)  {}

// window sums the counts of seconds [from, to).
func (o *outcomes) window(from, to int) (ok, limited int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for s := from; s < to; s++ {
		ok += o.ok[s]
		limited += o.limited[s]
	}
	return ok, limited
}

// BenchmarkQuotaUtilization drives the real sandbox plugin, which enforces
// 50 calls/s with a burst of 10 and answers RATE_LIMITED with a
// retry-after beyond that, with far more demand than it allows for 30 s,
// through a platform actor told the truth (50/s) or told twice the truth
// (100/s, adaptive). It reports the achieved rate as a share of the real
// limit and the share of attempts the platform refused, from second 5 on.
func BenchmarkQuotaUtilization(b *testing.B) {
	const (
		limit    = 50.0
		duration = 30 * time.Second
		settle   = 5
	)
	for _, tc := range []struct {
		name     string
		rate     float64
		adaptive bool
	}{
		{"told-50/s", 50, false},
		{"told-100/s-adaptive", 100, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				conn, err := host.Launch(context.Background(), host.Options{Path: filepath.Join(bin, "marketsync-plugin-sandbox")})
				if err != nil {
					b.Fatal(err)
				}
				if err := conn.Configure(context.Background(), []byte(`{"rate_limit": 50, "burst": 10}`)); err != nil {
					b.Fatal(err)
				}
				obs := &outcomes{start: time.Now(), ok: map[int]int{}, limited: map[int]int{}}
				sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
				pid := sys.Root.Spawn(platform.Props(platform.Options{
					Name: "quota", Plugin: "sandbox", Conn: conn,
					RateLimit:   &platform.RateLimit{Rate: tc.rate, Burst: 10},
					FixedRate:   !tc.adaptive,
					Concurrency: 16,
					Observer:    obs,
				}))
				ctx, cancel := context.WithTimeout(context.Background(), duration)
				var wg sync.WaitGroup
				for range 32 {
					wg.Go(func() {
						for ctx.Err() == nil {
							_, _ = platform.Request(ctx, sys.Root, pid, platform.NewCall(&model.FetchProductsRequest{Ids: []string{"100001"}}))
						}
					})
				}
				wg.Wait()
				cancel()
				_ = sys.Root.PoisonFuture(pid).Wait()
				conn.Kill()
				ok, limited := obs.window(settle, int(duration/time.Second))
				secs := float64(int(duration/time.Second) - settle)
				b.ReportMetric(100*float64(ok)/secs/limit, "%-of-limit")
				b.ReportMetric(100*float64(limited)/float64(ok+limited), "%-rate-limited")
			}
		})
	}
}

// BenchmarkPlatformCallInProcess measures the actor's own cost: the same
// call to the sandbox served in-process (no process, no gRPC), straight
// and through the platform actor.
func BenchmarkPlatformCallInProcess(b *testing.B) {
	conn, err := host.InProcess(context.Background(), market.New())
	if err != nil {
		b.Fatal(err)
	}
	if err := conn.Configure(context.Background(), []byte(`{}`)); err != nil {
		b.Fatal(err)
	}
	req := &model.FetchProductsRequest{Ids: []string{"100001"}}
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := host.Call[*model.FetchProductsResponse](context.Background(), conn, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	pid := sys.Root.Spawn(platform.Props(platform.Options{
		Name: "bench", Plugin: "sandbox", Conn: conn,
		RateLimit: &platform.RateLimit{Rate: 1e9, Burst: 1 << 20}, FixedRate: true,
	}))
	b.Cleanup(func() { _ = sys.Root.PoisonFuture(pid).Wait() })
	b.Run("actor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := platform.Request(context.Background(), sys.Root, pid, platform.NewCall(req))
			if err != nil || res.GetError() != nil {
				b.Fatal(err, res.Err())
			}
		}
	})
}
