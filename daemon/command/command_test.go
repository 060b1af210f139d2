package command

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/cli"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/version"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
)

// result is what one run of the command line left.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs args in-process with stdin as standard input. The agent's
// address comes from MARKETSYNC_ADDR, which the test sets.
func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runCLIWith(t, Meta{Stdin: strings.NewReader(stdin)}, args...)
}

// runCLIWith runs args in-process with meta, its output going to the
// result.
func runCLIWith(t *testing.T, meta Meta, args ...string) result {
	t.Helper()
	ui := cli.NewMockUi()
	meta.Ui, meta.Stdout, meta.WatchWait = ui, ui.OutputWriter, time.Nanosecond
	code := run(args, meta, ui.OutputWriter, ui.ErrorWriter)
	return result{code: code, stdout: ui.OutputWriter.String(), stderr: ui.ErrorWriter.String()}
}

func (r result) want(t *testing.T, code int, stdout ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range stdout {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
}

// wantError checks for exit code 1 and an "Error: ..." line on stderr.
func (r result) wantError(t *testing.T, line string) {
	t.Helper()
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "Error: "+line) {
		t.Errorf("stderr lacks %q:\n%s", "Error: "+line, r.stderr)
	}
}

// wantUsage checks for a usage error: exit 1, the reason and the help.
func (r result) wantUsage(t *testing.T, reason, usage string) {
	t.Helper()
	r.wantError(t, reason)
	if !strings.Contains(r.stderr, "Usage: marketsync "+usage) {
		t.Errorf("stderr lacks the help of %q:\n%s", usage, r.stderr)
	}
}

// decodeJSON parses stdout as JSON into out.
func (r result) decodeJSON(t *testing.T, out any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("stdout is not the JSON expected: %v\n%s", err, r.stdout)
	}
	if dec.More() {
		t.Errorf("stdout has more than one JSON value:\n%s", r.stdout)
	}
}

// fakeAgent starts the API on a fake backend with a sandbox platform and
// points MARKETSYNC_ADDR at it.
func fakeAgent(t *testing.T, token string) *apitest.Backend {
	t.Helper()
	b := apitest.NewBackend()
	b.AddPlatform(client.Platform{Name: "sandbox", Plugin: "sandbox", Version: "0.1.0", State: client.PlatformReady,
		Capabilities: []string{"collect", "publish"}, Rate: 10, Burst: 20, Concurrency: 4, InFlight: 1, Queued: 3})
	srv := apitest.NewServer(t, b, token)
	t.Setenv(client.EnvAddress, srv.URL)
	t.Setenv(client.EnvToken, "")
	return b
}

// lines splits text into lines with runs of spaces folded, so table
// assertions do not depend on column widths.
func lines(text string) []string {
	space := regexp.MustCompile(` {2,}`)
	var out []string
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		out = append(out, space.ReplaceAllString(strings.TrimSpace(l), " | "))
	}
	return out
}

func hasLine(t *testing.T, text, want string) {
	t.Helper()
	for _, l := range lines(text) {
		if l == want {
			return
		}
	}
	t.Errorf("no line %q in:\n%s", want, strings.Join(lines(text), "\n"))
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "", "version")
	r.want(t, 0)
	if strings.TrimSpace(r.stdout) != version.String() {
		t.Errorf("version printed %q", r.stdout)
	}
	var v versionInfo
	r = runCLI(t, "", "version", "-json")
	r.want(t, 0)
	r.decodeJSON(t, &v)
	if v.Version != version.Version || v.PluginProtocol != host.ProtocolVersion {
		t.Errorf("version -json = %+v", v)
	}
	runCLI(t, "", "version", "extra").wantUsage(t, "version takes no arguments", "version")
}

func TestPlatforms(t *testing.T) {
	b := fakeAgent(t, "")
	b.AddPlatform(client.Platform{Name: "tb-main", Plugin: "taobao", State: client.PlatformRestarting, Rate: 2.5, Burst: 5,
		Concurrency: 2, Restarts: 3, LastError: "plugin exited: exit status 2", Breaker: "open"})
	b.AddPlatform(client.Platform{Name: "pdd", Plugin: "pinduoduo", State: client.PlatformReady, Rate: 31.416, Burst: 50,
		Adaptive: true, ConfiguredRate: 50, Concurrency: 4, Breaker: "closed"})
	r := runCLI(t, "", "platforms")
	r.want(t, 0)
	hasLine(t, r.stdout, "NAME | PLUGIN | VERSION | STATE | CAPABILITIES | RATE/BURST | IN-FLIGHT | QUEUED | BREAKER | RESTARTS")
	hasLine(t, r.stdout, "sandbox | sandbox | 0.1.0 | ready | collect,publish | 10/20 | 1/4 | 3 | - | 0")
	hasLine(t, r.stdout, "tb-main | taobao | - | restarting | - | 2.5/5 | 0/2 | 0 | open | 3")
	hasLine(t, r.stdout, "pdd | pinduoduo | - | ready | - | 31.4/50 of 50 | 0/4 | 0 | closed | 0")
	r.want(t, 0, "Last errors", "tb-main: plugin exited: exit status 2")

	var list []client.Platform
	r = runCLI(t, "", "platforms", "-json")
	r.want(t, 0)
	r.decodeJSON(t, &list)
	if len(list) != 3 || list[1].Restarts != 3 || list[2].ConfiguredRate != 50 {
		t.Errorf("platforms -json = %+v", list)
	}
	runCLI(t, "", "platforms", "x").wantUsage(t, "platforms takes no arguments", "platforms")
	runCLI(t, "", "platforms", "-bogus").wantUsage(t, "flag provided but not defined: -bogus", "platforms")
}

func TestNoPlatforms(t *testing.T) {
	t.Setenv(client.EnvAddress, apitest.NewServer(t, apitest.NewBackend(), "").URL)
	runCLI(t, "", "platforms").want(t, 0, "No platforms configured")
}

func TestCollect(t *testing.T) {
	b := fakeAgent(t, "")
	r := runCLI(t, "", "collect", "sandbox", "100001", "100002")
	r.want(t, 0, "Job job-0001 queued: collect 2 ids from sandbox", "Follow it with: marketsync job job-0001 -wait")

	// Flags may follow the ids.
	var job client.Job
	r = runCLI(t, "", "collect", "sandbox", "100003", "-json")
	r.want(t, 0)
	r.decodeJSON(t, &job)
	if job.ID != "job-0002" || job.State != client.JobQueued || job.Total != 1 {
		t.Errorf("collect -json = %+v", job)
	}
	got := b.Collected()
	if len(got) != 2 || strings.Join(got[0].IDs, " ") != "100001 100002" || strings.Join(got[1].IDs, " ") != "100003" || got[0].IdempotencyKey != "" {
		t.Errorf("backend got %+v", got)
	}

	// An idempotency key travels as the request's header.
	runCLI(t, "", "collect", "-idempotency-key", "order-7731", "sandbox", "100004").want(t, 0, "Job job-0003 queued")
	if got := b.Collected(); len(got) != 3 || got[2].IdempotencyKey != "order-7731" {
		t.Errorf("backend got %+v", got)
	}
}

func TestCollectIDsFromFile(t *testing.T) {
	b := fakeAgent(t, "")
	path := filepath.Join(t.TempDir(), "ids.txt")
	if err := os.WriteFile(path, []byte("# wanted\n200001\n\n  200002  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "", "collect", "-f", path, "sandbox", "100001").want(t, 0, "collect 3 ids")
	runCLI(t, "300001\n300002\n", "collect", "sandbox", "-f", "-").want(t, 0, "collect 2 ids")
	got := b.Collected()
	if len(got) != 2 || strings.Join(got[0].IDs, " ") != "100001 200001 200002" || strings.Join(got[1].IDs, " ") != "300001 300002" {
		t.Errorf("backend got %+v", got)
	}
	runCLI(t, "", "collect", "sandbox", "-f", filepath.Join(t.TempDir(), "missing")).wantError(t, "open ")
}

func TestCollectErrors(t *testing.T) {
	b := fakeAgent(t, "")
	runCLI(t, "", "collect").wantUsage(t, "collect takes a platform and at least one id", "collect")
	runCLI(t, "", "collect", "sandbox").wantUsage(t, "collect takes at least one id after the platform", "collect")
	runCLI(t, "", "collect", "nope", "1").wantError(t, `no platform named "nope" is configured; `+"`marketsync platforms`"+` lists them (unknown_platform)`)
	runCLI(t, "", "collect", "sandbox", "1", "2", "1").wantError(t, `ids[2] "1" repeats ids[0]; each id may appear once (duplicate_ids)`)
	if got := b.Collected(); len(got) != 0 {
		t.Errorf("backend got %+v", got)
	}
}

func TestCollectWaitSucceeds(t *testing.T) {
	b := fakeAgent(t, "")
	b.Step = 2
	r := runCLI(t, "", "collect", "-wait", "sandbox", "1", "2", "3", "4")
	r.want(t, 0)
	want := []string{
		"Job job-0001 queued: collect 4 ids from sandbox",
		"running: 0/4 (0%), 0 succeeded, 0 failed",
		"running: 2/4 (50%), 2 succeeded, 0 failed",
		"succeeded: 4/4 (100%), 4 succeeded, 0 failed",
		"",
		"Job job-0001 succeeded",
		// The fake's clock: started at +2s, two steps of one second.
		"Succeeded | = 4 of 4",
		"Failed | = 0",
		"Elapsed | = 2s",
		"Rate | = 2.0 products/s",
	}
	if got := lines(r.stdout); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCollectWaitPartial(t *testing.T) {
	b := fakeAgent(t, "")
	b.Step = 3
	b.Failures = map[string]*sdk.Error{}
	var ids []string
	for i := range 9 {
		id := string(rune('a' + i))
		ids = append(ids, id)
		if i%4 != 0 {
			b.Failures[id] = sdk.NotFound("20000", "item "+id+" is off-shelf")
		}
	}
	r := runCLI(t, "", append([]string{"collect", "sandbox", "-wait"}, ids...)...)
	r.want(t, exitItemsFailed, "Job job-0001 partial", "Failed items (first 5 of 6)", "All failed items: marketsync job job-0001")
	hasLine(t, r.stdout, "Succeeded | = 3 of 9")
	hasLine(t, r.stdout, "Failed | = 6")
	hasLine(t, r.stdout, "Rate | = 1.0 products/s")
	hasLine(t, r.stdout, "INDEX | ID | KIND | CODE | MESSAGE | ATTEMPTS")
	hasLine(t, r.stdout, "1 | b | NOT_FOUND | 20000 | item b is off-shelf | 1")
	hasLine(t, r.stdout, "6 | g | NOT_FOUND | 20000 | item g is off-shelf | 1")
	if strings.Contains(r.stdout, "item h is off-shelf") {
		t.Errorf("the summary lists more than 5 failed items:\n%s", r.stdout)
	}
}

func TestCollectWaitJSON(t *testing.T) {
	b := fakeAgent(t, "")
	b.Step = 10
	b.Failures = map[string]*sdk.Error{"1": sdk.Invalid("40001", "bad id"), "2": sdk.Invalid("40001", "bad id")}
	var job client.Job
	r := runCLI(t, "", "collect", "-wait", "-json", "sandbox", "1", "2")
	r.want(t, exitJobFailed)
	r.decodeJSON(t, &job)
	if job.State != client.JobFailed || job.Failed != 2 || job.FinishedAt.IsZero() {
		t.Errorf("collect -wait -json = %+v", job)
	}
}

func TestBarView(t *testing.T) {
	var out bytes.Buffer
	job := &client.Job{Platform: "sandbox", Total: 4}
	v := newBarView(&out, job)
	job.Succeeded = 4
	v.update(job)
	v.close(true)
	for _, want := range []string{"collect sandbox", "100%", "4/4"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bar lacks %q: %q", want, out.String())
		}
	}
}

// addJobs stores a partial job with two failed items and a running one.
func addJobs(b *apitest.Backend) {
	start := apitest.Epoch
	b.AddJob(client.Job{ID: "j1", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobPartial,
		CreatedAt: start, StartedAt: start.Add(time.Second), FinishedAt: start.Add(4 * time.Second),
		Total: 4, Succeeded: 2, Failed: 2, Calls: 3},
		[]client.JobItem{
			{Index: 0, ID: "100001", State: client.ItemSucceeded, Attempts: 1},
			{Index: 1, ID: "100002", State: client.ItemFailed, Attempts: 4, Error: sdk.RateLimited(time.Second, "7", "App Call Limited")},
			{Index: 2, ID: "100003", State: client.ItemFailed, Attempts: 1, Error: sdk.NotFound("", "")},
			{Index: 3, ID: "100004", State: client.ItemSucceeded, Attempts: 1},
		})
	b.AddJob(client.Job{ID: "j2", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobRunning,
		CreatedAt: start.Add(time.Minute), StartedAt: start.Add(time.Minute), Total: 10, Succeeded: 4}, nil)
}

func TestJobs(t *testing.T) {
	b := fakeAgent(t, "")
	addJobs(b)
	r := runCLI(t, "", "jobs")
	r.want(t, 0)
	got := lines(r.stdout)
	if len(got) != 3 || got[0] != "ID | KIND | PLATFORM | STATE | PROGRESS | SUCCEEDED | FAILED | CREATED" ||
		!strings.HasPrefix(got[1], "j2 | collect | sandbox | running | 4/10 (40%) | 4 | 0 | ") ||
		!strings.HasPrefix(got[2], "j1 | collect | sandbox | partial | 4/4 (100%) | 2 | 2 | "+clock(apitest.Epoch)) {
		t.Errorf("jobs:\n%s", strings.Join(got, "\n"))
	}
	r = runCLI(t, "", "jobs", "-state", "partial")
	r.want(t, 0, "j1")
	if strings.Contains(r.stdout, "j2") {
		t.Errorf("-state partial shows j2:\n%s", r.stdout)
	}
	var list []client.Job
	r = runCLI(t, "", "jobs", "-json", "-limit", "1")
	r.want(t, 0)
	r.decodeJSON(t, &list)
	if len(list) != 1 || list[0].ID != "j2" {
		t.Errorf("jobs -json -limit 1 = %+v", list)
	}
	runCLI(t, "", "jobs", "-platform", "elsewhere").wantError(t, `no platform named "elsewhere" is configured`)
	runCLI(t, "", "jobs", "-state", "done").wantError(t, `state must be one of queued, running, succeeded, partial, failed, cancelled, got "done" (invalid_query)`)
	runCLI(t, "", "jobs", "-limit", "many").wantUsage(t, `invalid value "many" for flag -limit`, "jobs")
}

func TestJob(t *testing.T) {
	b := fakeAgent(t, "")
	addJobs(b)
	r := runCLI(t, "", "job", "j1")
	r.want(t, 0)
	for _, want := range []string{
		"ID | = j1", "State | = partial", "Created | = " + clock(apitest.Epoch), "Elapsed | = 3s",
		"Progress | = 4/4 (100%)", "Succeeded | = 2", "Failed | = 2", "Pending | = 0", "Calls | = 3",
		"Failed items",
		"INDEX | ID | KIND | CODE | MESSAGE | ATTEMPTS",
		"1 | 100002 | RATE_LIMITED | 7 | App Call Limited | 4",
		"2 | 100003 | NOT_FOUND | - | - | 1",
	} {
		hasLine(t, r.stdout, want)
	}
	if strings.Contains(r.stdout, "Error") || strings.Contains(r.stdout, "first") {
		t.Errorf("job shows an empty error or a partial list:\n%s", r.stdout)
	}
	r = runCLI(t, "", "job", "-failed", "1", "j1")
	r.want(t, 0, "Failed items (first 1 of 2)", "100002")
	if strings.Contains(r.stdout, "100003") {
		t.Errorf("-failed 1 lists two items:\n%s", r.stdout)
	}
	var job client.Job
	r = runCLI(t, "", "job", "j2", "-json")
	r.want(t, 0)
	r.decodeJSON(t, &job)
	if job.ID != "j2" || job.Pending != 6 {
		t.Errorf("job -json = %+v", job)
	}
	runCLI(t, "", "job", "nope").wantError(t, `no job with id "nope" (job_not_found)`)
	runCLI(t, "", "job").wantUsage(t, "job takes one argument", "job")
	runCLI(t, "", "job", "-failed", "-1", "j1").wantUsage(t, "-failed must be from 0 to 1000", "job")
}

func TestProduct(t *testing.T) {
	b := fakeAgent(t, "")
	b.AddPlatform(client.Platform{Name: "taobao", Plugin: "taobao", State: client.PlatformReady})
	b.AddProduct(apitest.Product("sandbox", "100001"))
	b.AddProduct(apitest.Product("sandbox", "100002"))
	b.AddProduct(apitest.Product("taobao", "100002"))
	r := runCLI(t, "", "product", "sandbox:100001")
	r.want(t, 0, "Product sandbox:100001")
	for _, want := range []string{
		"Source | = sandbox",
		"URL | = https://sandbox.example.com/item/100001",
		"Title", "en | Cotton T-shirt", "zh-CN | 纯棉T恤",
		"Description", "en | A plain shirt of combed cotton.",
		"NAME | VALUE | LOCALE", "material | cotton | en",
		"Variants (2)", "SKU | OPTIONS | PRICE | STOCK",
		"100001-RED-M | color=red, size=M | 19.99 CNY | 120",
		"100001-BLUE-L | color=blue, size=L | 21.50 CNY | 0",
		"Images (2)", "https://img.example.com/100001/1.jpg",
	} {
		hasLine(t, r.stdout, want)
	}
	runCLI(t, "", "product", "100001").want(t, 0, "Product sandbox:100001")

	var p client.Product
	r = runCLI(t, "", "product", "-json", "taobao:100002")
	r.want(t, 0)
	r.decodeJSON(t, &p)
	if p.Platform != "taobao" || p.ID != "100002" || p.Variants[0].Price != (sdk.Money{Amount: 1999, Currency: "CNY"}) {
		t.Errorf("product -json = %+v", p)
	}
	runCLI(t, "", "product", "100002").wantError(t, `id "100002" is on platforms sandbox and taobao; ask for platform:id (ambiguous_product)`)
	runCLI(t, "", "product", "sandbox:9").wantError(t, `no product "9" on platform "sandbox" (product_not_found)`)
	runCLI(t, "", "product").wantUsage(t, "product takes one argument", "product")
}

func TestToken(t *testing.T) {
	fakeAgent(t, "tok-1")
	runCLI(t, "", "platforms").wantError(t, "this agent requires a token")
	runCLI(t, "", "platforms", "-token", "wrong").wantError(t, "the token is not valid for this agent (unauthorized)")
	runCLI(t, "", "platforms", "-token", "tok-1").want(t, 0, "sandbox")
	t.Setenv(client.EnvToken, "tok-1")
	runCLI(t, "", "platforms").want(t, 0, "sandbox")
}

func TestAddressFlag(t *testing.T) {
	fakeAgent(t, "")
	good := os.Getenv(client.EnvAddress)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	t.Setenv(client.EnvAddress, dead)
	runCLI(t, "", "platforms").wantError(t, "cannot reach the agent at http://"+dead)
	runCLI(t, "", "platforms", "-address", good).want(t, 0, "sandbox")
	runCLI(t, "", "platforms", "-address", "ftp://x").wantError(t, `agent address "ftp://x": scheme must be http or https`)
}

func TestParseInterspersed(t *testing.T) {
	var m Meta
	f := m.FlagSet("collect", true)
	wait := f.Bool("wait", false, "")
	got, err := m.Parse(f, []string{"sandbox", "1", "-wait", "2", "-json", "--", "-3", "-address=x"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "sandbox 1 2 -3 -address=x" || !*wait || !m.json || m.address != "" {
		t.Errorf("positional %q, wait %v, json %v, address %q", got, *wait, m.json, m.address)
	}
}

func TestCancel(t *testing.T) {
	b := fakeAgent(t, "")
	b.AddJob(client.Job{ID: "j9", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobRunning, Total: 10, Succeeded: 4}, nil)
	b.AddJob(client.Job{ID: "j8", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobSucceeded, Total: 1, Succeeded: 1}, nil)
	r := runCLI(t, "", "cancel", "j9")
	r.want(t, 0, "ID", "j9", "State", "cancelled", "Succeeded", "4 of 10", "Left pending", "6")
	r = runCLI(t, "", "cancel", "j8")
	if r.code != 1 || !strings.Contains(r.stderr, "already finished") || !strings.Contains(r.stderr, "(job_finished)") {
		t.Errorf("cancel of a finished job: %+v", r)
	}
	runCLI(t, "", "cancel").wantUsage(t, "cancel takes one argument, the job id", "cancel")
}

func TestCollectWaitResolvesURLsFirst(t *testing.T) {
	b := fakeAgent(t, "")
	b.Step = 2
	r := runCLI(t, "", "collect", "-wait", "sandbox", "1", apitest.SandboxURL("2"), "https://example.com/x")
	r.want(t, exitItemsFailed)
	for i, want := range []string{
		"Job job-0001 queued: collect 3 ids from sandbox, resolving 2 URLs first",
		"running: resolving 2 URLs (0/2), 0 succeeded, 0 failed",
		"running: 1/3 (33%), 0 succeeded, 1 failed",
		"partial: 3/3 (100%), 2 succeeded, 1 failed",
	} {
		if got := lines(r.stdout); len(got) <= i || got[i] != want {
			t.Fatalf("line %d: want %q in:\n%s", i, want, r.stdout)
		}
	}
	hasLine(t, r.stdout, `2 | https://example.com/x | INVALID | NOT_A_PRODUCT_URL | the URL is not a sandbox product page | 0`)
	r = runCLI(t, "", "job", "job-0001")
	r.want(t, 0)
	hasLine(t, r.stdout, "URLs | = 2 of 2 resolved")
}

func TestBarViewShowsResolving(t *testing.T) {
	var out bytes.Buffer
	job := &client.Job{Platform: "sandbox", Total: 40, State: client.JobRunning, Step: client.JobStepResolving, ToResolve: 40}
	v := newBarView(&out, job)
	if got := barText(job); got != "resolving 40 URLs" {
		t.Errorf("bar while resolving: %q", got)
	}
	job.Step, job.Resolved, job.Succeeded = client.JobStepCollecting, 40, 40
	v.update(job)
	v.close(true)
	if !strings.Contains(out.String(), "collect sandbox") {
		t.Errorf("bar after resolving: %q", out.String())
	}
}
