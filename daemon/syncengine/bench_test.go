package syncengine_test

import (
	"testing"
	"time"
)

// benchQuota is the store's quota in the benchmark: calls a second, one
// at a time (burst 1), as the platform actor enforces it.
const benchQuota = 20

// BenchmarkSyncVsNaive syncs 1,000 products of 3 SKUs to a store that
// takes benchQuota calls a second, twice in the same run: with the
// engine's batches (batch 50: 20 calls) and as a naive sync would, one
// call per product in sequence (batch_size 1: 1,000 calls). It reports
// both wall times, the speed-up, and each wall time over calls ÷ quota
// (1.0 is a run that takes exactly the time the quota allows).
//
//	go test -run '^$' -bench SyncVsNaive -benchtime 1x ./daemon/syncengine
func BenchmarkSyncVsNaive(b *testing.B) {
	const n = 1000
	for b.Loop() {
		run := func(batch int) (time.Duration, int) {
			h := newHarness(b, n, func(h *harness) {
				h.cfg.BatchSize = batch
				h.rate, h.burst = benchQuota, 1
			})
			start := time.Now()
			j := h.sync()
			wall := time.Since(start)
			if int(j.GetSucceeded()) != n || h.store.count() != n {
				b.Fatalf("batch %d: job %v, store %d", batch, j, h.store.count())
			}
			return wall, h.store.takeCalls()["upsert"]
		}
		batched, bCalls := run(50)
		naive, nCalls := run(1)
		// calls ÷ quota: the time the store's quota alone needs for them.
		paced := func(calls int) time.Duration {
			return time.Duration(float64(calls) / benchQuota * float64(time.Second))
		}
		b.ReportMetric(batched.Seconds(), "batched-s")
		b.ReportMetric(naive.Seconds(), "naive-s")
		b.ReportMetric(naive.Seconds()/batched.Seconds(), "speedup-x")
		b.ReportMetric(float64(bCalls), "batched-calls")
		b.ReportMetric(float64(nCalls), "naive-calls")
		b.ReportMetric(batched.Seconds()/paced(bCalls).Seconds(), "batched-wall/(calls÷quota)")
		b.ReportMetric(naive.Seconds()/paced(nCalls).Seconds(), "naive-wall/(calls÷quota)")
	}
}
