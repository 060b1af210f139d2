package e2e

import (
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
)

// benchProducts is the size of each benchmark's collect job.
const benchProducts = 2000

// benchLimit is both the simulator's rate limit and the one the agent is
// told: fifty calls a second, Pinduoduo's documented detail rate.
var benchLimit = rateLimit{rate: 50, burst: 10}

// BenchmarkCollect2000 collects 2,000 products from each platform through
// the agent and the real plugin process, with the agent's rate limit equal
// to the simulator's, and sets the wall time against the least that limit
// allows: the burst goes at once and every other call waits its turn,
//
//	ideal = max(0, calls − burst) / rate
//
// wall/ideal is what everything else costs: the API, batching, the actor,
// gRPC, signing and mapping, checkpoints, and any call the simulator
// refuses (limited), each of which the agent answers by pausing for the
// ban the platform states. Each round starts a fresh agent and refills the
// simulator's quota, outside the timer, so both buckets start full as the
// ideal assumes.
//
// At equal rates one refusal per round is to be expected: the first call
// is the slowest to reach the simulator (it opens the connection), so the
// simulator's bucket starts draining a little after the agent's, and the
// first call after the burst arrives just before the simulator's next
// token. The platform states a ban of a whole second, the agent honours
// it and cuts its rate, and the round takes about a second more than the
// ideal.
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
				m.SetRateLimit(benchLimit.rate, benchLimit.burst)
				refused := m.limited()
				a := agenttest.New(b, bin, m.block(benchLimit))
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
			ideal := max(0, perRound-float64(benchLimit.burst)) / benchLimit.rate
			seconds := wall.Seconds() / float64(rounds)
			b.ReportMetric(seconds, "wall-s")
			b.ReportMetric(perRound, "calls")
			b.ReportMetric(ideal, "ideal-s")
			b.ReportMetric(seconds/ideal, "wall/ideal")
			b.ReportMetric(float64(limited)/float64(rounds), "limited")
		})
	}
}
