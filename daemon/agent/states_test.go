package agent_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
)

// Platforms that refuse calls for good (rejected credentials, a crash
// loop), with the real sandbox plugin process, and their jobs.

// until follows a job with blocking queries until ok says so.
func until(t *testing.T, c *client.Client, j *client.Job, ok func(*client.Job) bool) *client.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for !ok(j) {
		if j.State.Final() {
			t.Fatalf("job ended %s: %+v", j.State, j)
		}
		next, err := c.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		j = next
	}
	return j
}

func platformStatus(t *testing.T, a *agenttest.Agent, name string) client.Platform {
	t.Helper()
	list, err := a.Client.Platforms().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no platform %s in %+v", name, list)
	return client.Platform{}
}

func paused(j *client.Job) bool { return j.PausedReason != "" }

func TestRejectedCredentialsPauseTheJobUntilTheFixIsReloaded(t *testing.T) {
	const block = `
platform "sandbox" "src" {
  config {
    products           = 20000
    reject_credentials = %s
  }
}`
	a := agenttest.New(t, bin, strings.Replace(block, "%s", "true", 1))
	ctx := context.Background()
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, 10000)})
	if err != nil {
		t.Fatal(err)
	}
	j = until(t, a.Client, j, paused)
	const reason = "sandbox.src: the platform rejected the signature — check reject_credentials; sandbox said: invalid signature"
	if j.PausedReason != reason || j.State != client.JobRunning || j.Failed != 0 {
		t.Fatalf("job %+v, want it running, paused with %q", j, reason)
	}
	if j.Calls > 3 {
		t.Errorf("%d calls spent on wrong credentials, want at most 3", j.Calls)
	}
	p := platformStatus(t, a, "src")
	if p.State != client.PlatformUnauthorized || p.Reason != reason {
		t.Errorf("platform %s %q, want unauthorized with the reason", p.State, p.Reason)
	}

	if _, err := a.Reload(ctx, agenttest.Config(t, bin, strings.Replace(block, "%s", "false", 1))); err != nil {
		t.Fatal(err)
	}
	j = finish(t, a.Client, j)
	if j.State != client.JobSucceeded || j.Succeeded != 10000 {
		t.Fatalf("after the reload: %+v", j)
	}
	if p := platformStatus(t, a, "src"); p.State != client.PlatformReady || p.Reason != "" {
		t.Errorf("platform %s %q after the reload", p.State, p.Reason)
	}
}

func TestCrashLoopFailsThePlatformAndPausesItsJob(t *testing.T) {
	const block = `
platform "sandbox" "crashy" {
  concurrency = 1
  retry {
    max_attempts = 10
    base_delay   = "10ms"
    max_delay    = "50ms"
  }
  restart {
    attempts = 2
    interval = "10m"
    mode     = "fail"
  }
  config {
    crash_after = %s
  }
}`
	// Every sandbox process exits on its second data call.
	a := agenttest.New(t, bin, strings.Replace(block, "%s", "2", 1))
	ctx := context.Background()
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "crashy", IDs: ids(100001, 500)})
	if err != nil {
		t.Fatal(err)
	}
	j = until(t, a.Client, j, paused)
	const reason = "plugin exited 3 times in 10m"
	if want := "platform crashy failed: " + reason + "; fix the platform block and reload"; j.PausedReason != want || j.State != client.JobRunning {
		t.Fatalf("job %s paused %q, want running, paused with %q", j.State, j.PausedReason, want)
	}
	p := platformStatus(t, a, "crashy")
	if p.State != client.PlatformFailed || p.Reason != reason || p.Restarts != 2 {
		t.Errorf("platform %s %q after %d restarts, want failed with the reason after 2", p.State, p.Reason, p.Restarts)
	}

	if _, err := a.Reload(ctx, agenttest.Config(t, bin, strings.Replace(block, "%s", "0", 1))); err != nil {
		t.Fatal(err)
	}
	j = finish(t, a.Client, j)
	if j.State != client.JobSucceeded || j.Succeeded != 500 {
		t.Fatalf("after the reload: %+v", j)
	}
}

func TestRejectedCredentialsJobResumesAfterARestartWithTheFix(t *testing.T) {
	dir := t.TempDir()
	block := `
data_dir = "` + dir + `"
platform "sandbox" "src" {
  config {
    reject_credentials = %s
  }
}`
	a, err := agenttest.Start(t, agenttest.Config(t, bin, strings.Replace(block, "%s", "true", 1)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, 300)})
	if err != nil {
		t.Fatal(err)
	}
	j = until(t, a.Client, j, paused)
	a.Stop(t)

	b, err := agenttest.Start(t, agenttest.Config(t, bin, strings.Replace(block, "%s", "false", 1)))
	if err != nil {
		t.Fatal(err)
	}
	done := finish(t, b.Client, j)
	if done.State != client.JobSucceeded || done.Succeeded != 300 {
		t.Fatalf("after the restart with the fix: %+v", done)
	}
}
