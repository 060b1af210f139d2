package quotabench

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/simkit"
)

var run = flag.Bool("quota", false, "run the quota matrix (make bench-quota)")

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
// the README's table. It runs only with -quota (make bench-quota).
func TestQuotaMatrix(t *testing.T) {
	if !*run {
		t.Skip("the quota matrix runs with -quota (make bench-quota)")
	}
	var mu sync.Mutex
	results := map[string]cell{}
	t.Cleanup(func() { t.Log("\n" + table(results)) })
	for _, m := range marketplaces {
		for _, burst := range bursts {
			for _, tl := range tolds {
				for _, th := range m.signals {
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
		start := time.Now()
		var from, to simkit.Counts
		var wg sync.WaitGroup
		wg.Go(func() {
			<-time.After(warmup)
			from = s.counts()
			<-time.After(duration - warmup)
			to = s.counts()
		})
		req := &model.FetchProductsRequest{Ids: s.ids}
		for range callers {
			wg.Go(func() {
				for time.Since(start) < duration {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					res, err := platform.Request(ctx, sys.Root, pid, platform.NewCall(req))
					cancel()
					if err != nil || res.GetError() != nil {
						// A job pauses before it sends again.
						<-time.After(time.Second)
					}
				}
			})
		}
		wg.Wait()
		_ = sys.Root.PoisonFuture(pid).Wait()
		sys.Shutdown()
		taken, refused := float64(to.Taken-from.Taken), float64(to.Refused-from.Refused)
		c = cell{used: taken / (rate * (duration - warmup).Seconds()), refused: refused / max(taken+refused, 1)}
	})
	return c
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
