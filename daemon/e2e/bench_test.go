package e2e

import (
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
)

// benchProducts is the size of each benchmark's collect job.
const benchProducts = 2000

// benchSim is the simulator's rate limit: fifty calls a second,
// Pinduoduo's documented detail rate, bursts of ten. The agent is told the
// same rate with half the burst: a few calls' headroom so that arrival
// jitter (the first call also opens the connection) never lets a call
// reach the platform a hair before its token, which real platforms answer
// with a ban of a whole second.
var (
	benchSim   = rateLimit{rate: 50, burst: 10}
	benchAgent = rateLimit{rate: 50, burst: 5}
)

// BenchmarkCollect2000 collects 2,000 products from each platform through
// the agent and the real plugin process, at the simulator's rate, and
// sets the wall time against the least the agent's limit allows: its
// burst goes at once and every other call waits its turn,
//
//	ideal = max(0, calls − burst) / rate
//
// (calls ÷ rate, the plain bound, is slightly longer). wall/ideal is what
// everything else costs: the API, batching, the actor, gRPC, signing and
// mapping, checkpoints, and any call the simulator refuses (limited),
// each of which the agent answers by pausing for the ban the platform
// states. Each round starts a fresh agent and refills the simulator's
// quota, outside the timer, so both buckets start full as the ideal
// assumes.
//
// With a burst equal to the platform's, one refusal per round happened:
// the first call is the slowest to reach the simulator (it opens the
// connection), so the simulator's bucket starts draining a little after
// the agent's and the first call after the burst arrives just before the
// simulator's next token; the whole-second ban that follows doubles a
// two-second Taobao round. Hence benchAgent's smaller burst.
func BenchmarkCollect2000(b *testing.B) {
	for _, m := range markets(b) {
		b.Run(m.plugin, func(b *testing.B) {
			ids := m.IDs()[:benchProducts]
			want := 0
			for _, id := range ids {
				if m.found(id) {
					want++
				}
			}
			var wall time.Duration
			var rounds, calls, limited int64
			for b.Loop() {
				b.StopTimer()
				m.SetRateLimit(benchSim.rate, benchSim.burst)
				refused := m.limited()
				a := agenttest.New(b, bin, m.block(benchAgent))
				b.StartTimer()
				start := time.Now()
				j, err := collect(a.Client, m.plugin, ids)
				took := time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if j.Succeeded != want || j.Failed != benchProducts-want {
					b.Fatalf("job %+v; want %d of %d succeeded", j, want, benchProducts)
				}
				a.Stop(b)
				wall += took
				rounds++
				calls += int64(j.Calls)
				limited += m.limited() - refused
				b.StartTimer()
			}
			perRound := float64(calls) / float64(rounds)
			ideal := max(0, perRound-float64(benchAgent.burst)) / benchAgent.rate
			seconds := wall.Seconds() / float64(rounds)
			b.ReportMetric(seconds, "wall-s")
			b.ReportMetric(perRound, "calls")
			b.ReportMetric(ideal, "ideal-s")
			b.ReportMetric(seconds/ideal, "wall/ideal")
			b.ReportMetric(float64(limited)/float64(rounds), "limited")
		})
	}
}
