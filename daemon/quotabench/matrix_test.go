package quotabench

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/simkit"
)

var run = flag.Bool("quota", false, "run the whole quota matrix, not only its slice at burst 2 (make bench-quota)")

// The matrix: a platform allowing rate calls a second with each burst,
// demand far above it for duration, counted after warmup.
const (
	rate     = 5.0
	duration = 60 * time.Second
	warmup   = 5 * time.Second
	callers  = 32
)

var bursts = []int{1, 2, 10}

// told is what the agent is told of a platform limit l.
type told struct {
	name string
	of   func(l limit) limit
}

var tolds = []told{
	{"truth", func(l limit) limit { return l }},
	{"2x rate", func(l limit) limit { return limit{2 * l.rate, l.burst} }},
	{"4x rate", func(l limit) limit { return limit{4 * l.rate, l.burst} }},
	{"4x burst", func(l limit) limit { return limit{l.rate, 4 * l.burst} }},
}

// cell is one measurement: the share of the limit used and of the
// answers refused, from the simulator's counts after the warm-up.
type cell struct {
	used, refused float64
}

// TestQuotaMatrix runs the platform actor, with its adaptive limiter,
// against every simulator for every platform burst, every way of telling
// the agent the limit and every refusal variant the platform can give.
// Told the truth, the agent must use 97 % of the limit with at most 0.5 %
// of answers refused; told wrong, 90 % and 2 %. It prints the matrix as
// the README's table. Without -quota it runs one slice of the matrix:
// every simulator with its documented refusal, at burst 2, for every way
// of telling the agent (make test-full); under -short (make test) each
// simulator is told the truth and one wrong limit, each wrong limit
// going to a different simulator, so every way of telling still runs
// once. make bench-quota runs it whole.
func TestQuotaMatrix(t *testing.T) {
	var mu sync.Mutex
	results := map[string]cell{}
	t.Cleanup(func() { t.Log("\n" + table(results)) })
	for mi, m := range marketplaces {
		for _, burst := range bursts {
			if !*run && burst != 2 {
				continue
			}
			for ti, tl := range tolds {
				if !*run && testing.Short() && ti > 0 && mi%(len(tolds)-1) != ti-1 {
					continue
				}
				for i, th := range m.signals {
					if !*run && i > 0 {
						continue
					}
					platformLimit := limit{rate, burst}
					key := cellKey(m.name, th, burst, tl.name)
					t.Run(strings.ReplaceAll(key, " ", "-"), func(t *testing.T) {
						t.Parallel()
						c := measure(t, m.serve(t, platformLimit, th), tl.of(platformLimit))
						mu.Lock()
						results[key] = c
						mu.Unlock()
						wantUsed, wantRefused := 0.90, 0.02
						if tl.name == "truth" {
							wantUsed, wantRefused = 0.97, 0.005
						}
						t.Logf("%.1f %% of the limit used, %.2f %% refused", 100*c.used, 100*c.refused)
						if c.used < wantUsed || c.refused > wantRefused {
							t.Errorf("used %.1f %% of the limit with %.2f %% of answers refused; want at least %.0f %% and at most %.1f %%",
								100*c.used, 100*c.refused, 100*wantUsed, 100*wantRefused)
						}
					})
				}
			}
		}
	}
}

func cellKey(market string, th simkit.Throttle, burst int, told string) string {
	return fmt.Sprintf("%s/%s/burst %d/told %s", market, th, burst, told)
}

// measure drives the platform actor, told agent, with callers calling
// without pause for duration, and counts on the simulator's side.
func measure(t *testing.T, s *served, agent limit) cell {
	var c cell
	synctest.Test(t, func(t *testing.T) {
		sys, pid := spawn(t, s, agent)
		start := time.Now()
		var from, to simkit.Counts
		var wg sync.WaitGroup
		wg.Go(func() {
			<-time.After(warmup)
			from = s.counts()
			<-time.After(duration - warmup)
			to = s.counts()
		})
		for range callers {
			wg.Go(func() {
				for time.Since(start) < duration {
					call(sys, pid, s)
				}
			})
		}
		wg.Wait()
		stop(sys, pid)
		taken, refused := float64(to.Taken-from.Taken), float64(to.Refused-from.Refused)
		c = cell{used: taken / (rate * (duration - warmup).Seconds()), refused: refused / max(taken+refused, 1)}
	})
	return c
}

// spawn starts a platform actor told agent, on s's plugin in process.
func spawn(t *testing.T, s *served, agent limit) (*actor.ActorSystem, *actor.PID) {
	conn, err := host.InProcess(context.Background(), s.plugin)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Configure(context.Background(), s.config); err != nil {
		t.Fatal(err)
	}
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	pid := sys.Root.Spawn(platform.Props(platform.Options{
		Name: "quota", Plugin: "quota", Conn: conn,
		RateLimit:   &platform.RateLimit{Rate: agent.rate, Burst: agent.burst},
		Concurrency: 16,
	}))
	return sys, pid
}

func stop(sys *actor.ActorSystem, pid *actor.PID) {
	_ = sys.Root.PoisonFuture(pid).Wait()
	sys.Shutdown()
}

// call makes one call of s's ids through the actor and says whether it
// succeeded; after a failure it pauses a second, as a job does before it
// sends again.
func call(sys *actor.ActorSystem, pid *actor.PID, s *served) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := platform.Request(ctx, sys.Root, pid, platform.NewCall(&model.FetchProductsRequest{Ids: s.ids}))
	if err != nil || res.GetError() != nil {
		<-time.After(time.Second)
		return false
	}
	return true
}

// table lays the results out as the README's table: a row per platform
// burst and what the agent was told, a column per simulator and refusal
// variant, each cell "% of the limit used / % of answers refused".
func table(results map[string]cell) string {
	var b strings.Builder
	b.WriteString("| platform burst, agent told |")
	for _, m := range marketplaces {
		for _, th := range m.signals {
			fmt.Fprintf(&b, " %s, %s |", m.name, th)
		}
	}
	b.WriteString("\n|---|")
	for _, m := range marketplaces {
		b.WriteString(strings.Repeat("---|", len(m.signals)))
	}
	b.WriteString("\n")
	for _, burst := range bursts {
		for _, tl := range tolds {
			fmt.Fprintf(&b, "| %d, %s |", burst, tl.name)
			for _, m := range marketplaces {
				for _, th := range m.signals {
					c, ok := results[cellKey(m.name, th, burst, tl.name)]
					if !ok {
						b.WriteString(" – |")
						continue
					}
					fmt.Fprintf(&b, " %.1f / %.2f |", 100*c.used, 100*c.refused)
				}
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// TestReportedCollects replays the collects of the field report that
// started this matrix: each platform allowing 5 calls a second in bursts
// of 2, the agent told 20 a second in bursts of 5, each platform refusing
// as it documents, and a job's worth of calls (2,000 ids: 100 Taobao calls
// of 20, 200 of one elsewhere) to make. It reports how long the calls
// took against the least the limit allows, and the share refused.
func TestReportedCollects(t *testing.T) {
	platformLimit, agent := limit{5, 2}, limit{20, 5}
	for _, tc := range []struct {
		market marketplace
		th     simkit.Throttle
		calls  int
	}{
		{marketplaces[0], simkit.ThrottleBan, 100},
		{marketplaces[1], simkit.ThrottleBan, 200},
		{marketplaces[2], simkit.ThrottleRetryAfter, 200},
		{marketplaces[3], simkit.ThrottleNoHint, 200},
	} {
		t.Run(tc.market.name, func(t *testing.T) {
			s := tc.market.serve(t, platformLimit, tc.th)
			var took time.Duration
			synctest.Test(t, func(t *testing.T) {
				sys, pid := spawn(t, s, agent)
				start := time.Now()
				var next atomic.Int64
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						for next.Add(1) <= int64(tc.calls) {
							for !call(sys, pid, s) {
							}
						}
					})
				}
				wg.Wait()
				took = time.Since(start)
				stop(sys, pid)
			})
			c := s.counts()
			ideal := time.Duration(float64(tc.calls-platformLimit.burst) / platformLimit.rate * float64(time.Second))
			t.Logf("%s (%s): %d calls in %v, ideal %v (%.2f×); %.2f %% of answers refused",
				tc.market.name, tc.th, tc.calls, took, ideal, took.Seconds()/ideal.Seconds(), 100*float64(c.Refused)/float64(c.Taken+c.Refused))
		})
	}
}
