package cache

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestScheduleRunsCleanupAndReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		type run struct {
			job string
			at  time.Time
		}
		runs := make(chan run)
		stop, err := c.StartSchedule(Schedule{
			Cleanup:    "CRON_TZ=UTC 0 3 * * *",
			ResetStats: "CRON_TZ=UTC 0 0 * * *",
			Done: func(job string, err error) {
				if err != nil {
					t.Errorf("%s: %v", job, err)
				}
				runs <- run{job, time.Now().UTC()}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		// The bubble's clock starts at 2000-01-01 00:00 UTC.
		day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		c.request(0, ResultLoaded)
		want := []run{
			{"cleanup", day.Add(3 * time.Hour)},
			{"reset_stats", day.Add(24 * time.Hour)},
			{"cleanup", day.Add(27 * time.Hour)},
		}
		for i, w := range want {
			got := <-runs
			if got != w {
				t.Fatalf("run %d: %s at %s, want %s at %s", i, got.job, got.at, w.job, w.at)
			}
			if got.job == "reset_stats" && c.Stats().Total.Requests != 0 {
				t.Fatal("reset_stats left the counters")
			}
		}
	})
}

func TestScheduleRejectsBadCron(t *testing.T) {
	c := newCache(t, Options{})
	if _, err := c.StartSchedule(Schedule{Cleanup: "0 3 * *"}); err == nil {
		t.Fatal("a four-field cron expression was accepted")
	}
	stop, err := c.StartSchedule(Schedule{})
	if err != nil {
		t.Fatal(err)
	}
	stop()
}
