package command

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk"
)

func TestBarStopsWhereTheJobIs(t *testing.T) {
	var out bytes.Buffer
	job := &client.Job{Platform: "sandbox", Total: 100, State: client.JobRunning}
	v := newBarView(&out, job)
	job.Succeeded = 8
	v.update(job)
	v.close(false) // waiting stopped: the job goes on
	if strings.Contains(out.String(), "100%") || strings.Contains(out.String(), "100/100") {
		t.Errorf("the bar of a job at 8%% was drawn full: %q", out.String())
	}
}

func TestQueuedCountsAndFollowCommand(t *testing.T) {
	fakeAgent(t, "")
	r := runCLI(t, "", "collect", "sandbox", "100001")
	r.want(t, 0, "Job job-0001 queued: collect 1 id from sandbox\n", "Follow it with: marketsync job job-0001 -wait")
	r = runCLI(t, "", "collect", "sandbox", apitest.SandboxURL("7"))
	r.want(t, 0, "collect 1 id from sandbox, resolving 1 URL first")

	// The command printed works, and follows the job as collect -wait does.
	r = runCLI(t, "", "job", "job-0001", "-wait")
	r.want(t, 0, "Job job-0001 running: collect 1 id from sandbox", "succeeded: 1/1 (100%), 1 succeeded, 0 failed", "Job job-0001 succeeded")
	hasLine(t, r.stdout, "Succeeded | = 1 of 1")
}

func TestJobWaitExitCodes(t *testing.T) {
	b := fakeAgent(t, "")
	addJobs(b)
	b.AddJob(client.Job{ID: "j5", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobCancelled, Total: 2, Succeeded: 1}, nil)
	b.AddJob(client.Job{ID: "j6", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobFailed, Total: 1, Failed: 1,
		Error: "platform \"sandbox\" is no longer configured"}, nil)
	b.Failures = map[string]*sdk.Error{"9": sdk.NotFound("", "gone")}
	runCLI(t, "", "collect", "sandbox", "9")
	for id, want := range map[string]int{"j1": exitItemsFailed, "j5": exitJobCancelled, "j6": exitJobFailed, "job-0001": exitJobFailed} {
		r := runCLI(t, "", "job", "-wait", id)
		if r.code != want {
			t.Errorf("job -wait %s: exit %d, want %d\n%s%s", id, r.code, want, r.stdout, r.stderr)
		}
	}
	var job client.Job
	r := runCLI(t, "", "job", "-wait", "-json", "j1")
	r.want(t, exitItemsFailed)
	r.decodeJSON(t, &job)
	if job.ID != "j1" || job.State != client.JobPartial {
		t.Errorf("job -wait -json = %+v", job)
	}
	runCLI(t, "", "job", "-wait", "nope").wantError(t, `no job with id "nope" (job_not_found)`)
}

func TestCollectScope(t *testing.T) {
	b := fakeAgent(t, "")
	b.Step = 5
	b.Listings = map[string][]string{"shop:7": {"1", "2", "3", "4", "5"}}
	r := runCLI(t, "", "collect", "sandbox", "-scope", "shop:7", "-wait")
	r.want(t, 0)
	for i, want := range []string{
		`Job job-0001 queued: collect the listing "shop:7" from sandbox`,
		`running: listing "shop:7": 0 ids in 0 pages so far, 0 succeeded, 0 failed`,
		`running: listing "shop:7": 2 ids in 1 page so far, 0 succeeded, 0 failed`,
		`running: listing "shop:7": 4 ids in 2 pages so far, 0 succeeded, 0 failed`,
		`running: 0/5 (0%), 0 succeeded, 0 failed`,
		`succeeded: 5/5 (100%), 5 succeeded, 0 failed`,
	} {
		if got := lines(r.stdout); len(got) <= i || got[i] != want {
			t.Fatalf("line %d: want %q in:\n%s", i, want, r.stdout)
		}
	}
	if got := b.Collected(); len(got) != 1 || got[0].Scope != "shop:7" || len(got[0].IDs) != 0 {
		t.Errorf("backend got %+v", got)
	}
	r = runCLI(t, "", "job", "job-0001")
	hasLine(t, r.stdout, "Scope | = shop:7")
	runCLI(t, "", "collect", "sandbox", "1", "-scope", "shop:7").wantUsage(t, "collect takes ids or -scope, not both", "collect")
	runCLI(t, "", "collect", "sandbox", "-scope", "shop 7").wantError(t, `scope "shop 7" holds whitespace`)
}

func TestBarShowsTheListing(t *testing.T) {
	job := &client.Job{Platform: "sandbox", State: client.JobRunning, Step: client.JobStepListing, Scope: "all", Total: 300, ListedPages: 3}
	if got := barText(job); got != `listing "all": 300 ids in 3 pages so far` {
		t.Errorf("bar while listing: %q", got)
	}
	var out bytes.Buffer
	v := newBarView(&out, &client.Job{Platform: "sandbox", State: client.JobRunning, Step: client.JobStepListing, Scope: "all"})
	v.update(job)
	if v.bar.GetMax() != 300 {
		t.Errorf("the bar's length is %d after 300 ids were listed", v.bar.GetMax())
	}
}

func TestJobsLimitAndPlatformAsTheAPI(t *testing.T) {
	fakeAgent(t, "")
	runCLI(t, "", "jobs", "-limit", "0").wantUsage(t, `limit must be a whole number from 1 to 1000, got "0"`, "jobs")
	runCLI(t, "", "jobs", "-limit", "1001").wantUsage(t, `limit must be a whole number from 1 to 1000, got "1001"`, "jobs")
	runCLI(t, "", "jobs", "-platform", "nosuch").wantError(t, `no platform named "nosuch" is configured`)
}

// flakyAgent serves the fake backend, but drops the connection of the
// first drops reads of a job (all of them when drops is negative), as an
// agent that stopped would.
func flakyAgent(t *testing.T, drops int32) {
	t.Helper()
	b := fakeAgent(t, "")
	s, err := api.New(api.Config{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	var dropped atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/jobs/") && (drops < 0 || dropped.Add(1) <= drops) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv(client.EnvAddress, srv.URL)
}

func TestWaitOutlastsAnAgentRestart(t *testing.T) {
	flakyAgent(t, 3)
	r := runCLIWith(t, Meta{Reconnect: time.Minute}, "collect", "-wait", "sandbox", "1", "2")
	r.want(t, 0, "Job job-0001 succeeded")
	for _, want := range []string{"Lost the agent at http://", "Job job-0001 resumes when the agent is back; waiting for it for up to 1m0s.", "The agent is back."} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := strings.Count(r.stderr, "Lost the agent"); n != 1 {
		t.Errorf("the lost agent was reported %d times:\n%s", n, r.stderr)
	}
}

func TestWaitGivesUpOnAnAgentThatStaysAway(t *testing.T) {
	flakyAgent(t, -1)
	r := runCLIWith(t, Meta{Reconnect: 50 * time.Millisecond}, "collect", "-wait", "sandbox", "1")
	r.wantError(t, "the agent at http://")
	for _, want := range []string{"has not answered for 50ms", "job job-0001 resumes when it is back: marketsync job job-0001 -wait"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestPlatformsHelpExplainsEveryColumn reads the header of the table from
// a run and finds each column explained in the help.
func TestPlatformsHelpExplainsEveryColumn(t *testing.T) {
	fakeAgent(t, "")
	header := strings.Fields(strings.SplitN(runCLI(t, "", "platforms").stdout, "\n", 2)[0])
	help := runCLI(t, "", "platforms", "-h").stdout
	for _, col := range header {
		if !strings.Contains(help, "\n    "+col+" ") {
			t.Errorf("platforms -h does not explain the column %s", col)
		}
	}
	if len(header) != 10 || !strings.Contains(help, "Out of service") {
		t.Errorf("header %v; help:\n%s", header, help)
	}
}
