package cache

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule says when the cache's upkeep runs, as standard five-field cron
// expressions ("0 3 * * *": daily at 03:00) or descriptors ("@daily"),
// in the agent's local time unless prefixed with CRON_TZ=<zone>. An empty
// expression never runs.
type Schedule struct {
	// Cleanup runs Cache.Cleanup: expired L2 entries deleted, L1 emptied.
	Cleanup string
	// ResetStats runs Cache.ResetStats.
	ResetStats string
	// Done, when set, is called after each run with the job's name
	// ("cleanup" or "reset_stats") and its error; tests wait on it.
	Done func(job string, err error)
}

// ParseCron parses a cron expression as Schedule takes it.
func ParseCron(spec string) (cron.Schedule, error) {
	return cron.ParseStandard(spec)
}

// StartSchedule runs the upkeep of s in the background until stop is
// called; stop waits for a run in progress. A malformed expression is an
// error and starts nothing.
func (c *Cache) StartSchedule(s Schedule) (stop func(), err error) {
	type job struct {
		name  string
		sched cron.Schedule
		run   func() error
	}
	var jobs []job
	for _, j := range []struct {
		name, spec string
		run        func() error
	}{
		{"cleanup", s.Cleanup, func() error {
			n, err := c.Cleanup()
			if err == nil {
				c.log.Info("cache cleanup", "expired_deleted", n)
			}
			return err
		}},
		{"reset_stats", s.ResetStats, func() error { c.ResetStats(); return nil }},
	} {
		if j.spec == "" {
			continue
		}
		sched, err := ParseCron(j.spec)
		if err != nil {
			return nil, fmt.Errorf("cache: %s schedule %q: %w", j.name, j.spec, err)
		}
		jobs = append(jobs, job{j.name, sched, j.run})
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			every(ctx, j.sched, func() {
				err := j.run()
				if err != nil {
					c.log.Warn("cache upkeep failed", "job", j.name, "err", err)
				}
				if s.Done != nil {
					s.Done(j.name, err)
				}
			})
		})
	}
	return func() { cancel(); wg.Wait() }, nil
}

// every calls run at each time sched gives until ctx ends. It reads the
// time package's clock, which testing/synctest fakes.
func every(ctx context.Context, sched cron.Schedule, run func()) {
	for {
		now := time.Now()
		next := sched.Next(now)
		if next.IsZero() {
			return
		}
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		run()
	}
}
