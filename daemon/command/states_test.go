package command

import (
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

func TestWaitExitCodes(t *testing.T) {
	for state, want := range map[client.JobState]int{
		client.JobSucceeded: 0,
		client.JobPartial:   2,
		client.JobFailed:    3,
		client.JobCancelled: 4,
	} {
		if got := waitExitCode(state); got != want {
			t.Errorf("%s: exit %d, want %d", state, got, want)
		}
	}
	for _, s := range client.JobStates {
		if s.Final() && waitExitCode(s) == 1 {
			t.Errorf("%s exits 1, the code of an error", s)
		}
	}
}

func TestPlatformsOutOfService(t *testing.T) {
	b := fakeAgent(t, "")
	b.AddPlatform(client.Platform{Name: "main-shop", Plugin: "taobao", State: client.PlatformUnauthorized,
		Reason: "taobao.main-shop: the platform rejected the signature — check app_secret and sign_method; Taobao said: Invalid signature"})
	b.AddPlatform(client.Platform{Name: "crashy", Plugin: "sandbox", State: client.PlatformFailed,
		Reason: "plugin exited 6 times in 1m", RetryAt: apitest.Epoch.Add(time.Minute)})
	r := runCLI(t, "", "platforms")
	r.want(t, 0, "Out of service",
		"  main-shop (unauthorized): taobao.main-shop: the platform rejected the signature — check app_secret and sign_method; Taobao said: Invalid signature; fix the platform block and reload",
		"  crashy (failed): plugin exited 6 times in 1m; its plugin is tried again at "+clock(apitest.Epoch.Add(time.Minute)))
	hasLine(t, r.stdout, "main-shop | taobao | - | unauthorized | - | 0/0 | 0/0 | 0 | - | 0")
}

func TestJobsShowWhyTheyArePaused(t *testing.T) {
	b := fakeAgent(t, "")
	until := apitest.Epoch.Add(time.Hour)
	b.AddJob(client.Job{ID: "j3", Kind: client.JobKindCollect, Platform: "crashy", State: client.JobRunning, CreatedAt: apitest.Epoch,
		Total: 10, PausedUntil: until, PausedReason: "platform crashy failed: plugin exited 6 times in 1m"}, nil)
	r := runCLI(t, "", "jobs")
	r.want(t, 0, "Paused", "  j3: paused: platform crashy failed: plugin exited 6 times in 1m (until "+clock(until)+")")
	r = runCLI(t, "", "job", "j3")
	hasLine(t, r.stdout, "Paused | = paused: platform crashy failed: plugin exited 6 times in 1m (until "+clock(until)+")")
}

func TestCollectWaitSaysWhyTheJobIsPaused(t *testing.T) {
	b := fakeAgent(t, "")
	b.Step = 1
	b.PausedReason = "taobao.main-shop: the platform rejected the signature — check app_secret and sign_method"
	// The fake's clock: queued at +1s, started (and paused) at +2s.
	until := apitest.Epoch.Add(2*time.Second + time.Minute)
	r := runCLI(t, "", "collect", "-wait", "sandbox", "1")
	r.want(t, 0)
	if want := "Job paused: taobao.main-shop: the platform rejected the signature — check app_secret and sign_method (until " + clock(until) + ")"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}
