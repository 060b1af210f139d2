package agent_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/hashicorp/hcl/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent"
	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/telemetry"
	"github.com/marketsync/marketsync/plugins/sandbox/market"
	"github.com/marketsync/marketsync/sdk"
)

// bin holds the sandbox, Shopify and WooCommerce plugins, built once for
// the package.
var bin string

func TestMain(m *testing.M) { agenttest.Main(m, &bin, "sandbox", "shopify", "woocommerce") }

func ids(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(from + i)
	}
	return out
}

// finish follows a job with blocking queries until it is final.
func finish(t testing.TB, c *client.Client, j *client.Job) *client.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for !j.State.Final() {
		next, err := c.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		j = next
	}
	return j
}

// sameProduct compares what the agent stored with what the sandbox
// generates for the id.
func sameProduct(t *testing.T, got *client.Product, want *sdk.Product) {
	t.Helper()
	if got.ID != want.ID || got.Title["zh-CN"] != want.Title["zh-CN"] || got.Title["en"] != want.Title["en"] ||
		len(got.Variants) != len(want.Variants) || len(got.Images) != len(want.Images) {
		t.Fatalf("product %s differs:\n got %+v\nwant %+v", want.ID, got.Product, *want)
	}
	for i, v := range want.Variants {
		g := got.Variants[i]
		if g.SKU != v.SKU || g.Price != v.Price || g.Stock != v.Stock || len(g.Options) != len(v.Options) {
			t.Fatalf("product %s variant %d: got %+v, want %+v", want.ID, i, g, v)
		}
	}
}

func TestCollectThroughTheAPI(t *testing.T) {
	a := agenttest.New(t, bin, `platform "sandbox" "src" {}`)
	ctx := context.Background()
	list := append(ids(100001, 120), "999999", "https://item.sandbox.marketsync.invalid/item/100500.html")
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: list})
	if err != nil {
		t.Fatal(err)
	}
	j = finish(t, a.Client, j)
	if j.State != client.JobPartial || j.Succeeded != 121 || j.Failed != 1 {
		t.Fatalf("job %+v, want 121 succeeded and the unknown id failed", j)
	}
	if j.Calls != 3 || j.Step != client.JobStepCollecting || j.ToResolve != 1 || j.Resolved != 1 {
		t.Errorf("%d plugin calls, step %q, %d of %d URLs resolved; want the URL resolved, then 122 ids fetched at the sandbox's batch cap of 50 in 3 calls", j.Calls, j.Step, j.Resolved, j.ToResolve)
	}
	failed, err := a.Client.Jobs().Items(ctx, j.ID, client.ItemListOptions{State: client.ItemFailed, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(failed.Items) != 1 || failed.Items[0].ID != "999999" || failed.Items[0].Error.Code != "ITEM_NOT_FOUND" {
		t.Errorf("failed items %+v", failed.Items)
	}
	catalog := market.Catalog{Seed: 1, Count: 5000}
	for _, id := range append(ids(100001, 120), "100500") {
		got, err := a.Client.Products().Info(ctx, "src:"+id)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := catalog.Product(id)
		sameProduct(t, got, want)
	}
	// A product page URL reads a product back as its id does.
	byURL, err := a.Client.Products().Info(ctx, "https://m.sandbox.marketsync.invalid/item.html?id=100007")
	if err != nil || byURL.ID != "100007" || byURL.Platform != "src" {
		t.Errorf("product by URL: %+v, %v", byURL, err)
	}
	if _, err := a.Client.Products().Info(ctx, "https://example.com/item/1.html"); err == nil {
		t.Error("a URL no platform knows found a product")
	}
}

// TestCollectResolvesURLsInTheJob: the job resolves URLs as its first
// step; one that is not a sandbox product fails alone with the plugin's
// reason, and an id and a URL of the same product collect it once.
func TestCollectResolvesURLsInTheJob(t *testing.T) {
	a := agenttest.New(t, bin, `platform "sandbox" "src" {}`)
	ctx := context.Background()
	list := []string{"100042", "https://item.sandbox.marketsync.invalid/item/100042.html", "https://example.com/x", "https://item.sandbox.marketsync.invalid/item/100043.html"}
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: list})
	if err != nil {
		t.Fatal(err)
	}
	if j.Step != client.JobStepResolving || j.ToResolve != 3 || j.Total != 4 {
		t.Fatalf("submitted job %+v, want it resolving 3 URLs", j)
	}
	j = finish(t, a.Client, j)
	if j.State != client.JobPartial || j.Succeeded != 3 || j.Failed != 1 || j.Resolved != 3 || j.Calls != 1 {
		t.Fatalf("job %+v, want 3 succeeded in one fetch call and the foreign URL failed", j)
	}
	page, err := a.Client.Jobs().Items(ctx, j.ID, client.ItemListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	it := page.Items
	if it[1].ID != "100042" || it[1].URL != list[1] || it[1].State != client.ItemSucceeded || it[0].Attempts+it[1].Attempts != 1 {
		t.Errorf("the id and the URL of one product: %+v, %+v; want both succeeded, fetched once", it[0], it[1])
	}
	if it[2].State != client.ItemFailed || it[2].Error == nil || it[2].Error.Kind != sdk.KindInvalid || !strings.Contains(it[2].Error.Message, "not a sandbox product page") {
		t.Errorf("foreign URL item %+v", it[2])
	}
}

func TestCrashedPluginIsRestartedAndTheJobFinishes(t *testing.T) {
	// The plugin process dies on its third call, every time it starts.
	a := agenttest.New(t, bin, `
platform "sandbox" "src" {
  concurrency = 1
  retry {
    base_delay = "10ms"
    max_delay  = "50ms"
  }
  config {
    crash_after = 3
  }
}`)
	ctx := context.Background()
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, 300)})
	if err != nil {
		t.Fatal(err)
	}
	j = finish(t, a.Client, j)
	if j.State != client.JobSucceeded || j.Succeeded != 300 {
		t.Fatalf("job %+v, want all 300 collected despite the crashes", j)
	}
	ps, err := a.Client.Platforms().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Restarts < 2 || ps[0].State != client.PlatformReady {
		t.Errorf("platform after the job: %d restarts, state %s; want at least 2 and ready", ps[0].Restarts, ps[0].State)
	}
}

func TestJobResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	hcl := fmt.Sprintf(`
data_dir = %q
platform "sandbox" "src" {
  concurrency = 1
  config {
    latency = "20ms"
  }
}`, dir)
	cfg := agenttest.Config(t, bin, hcl)
	a, err := agenttest.Start(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, 1000)})
	if err != nil {
		t.Fatal(err)
	}
	// Stop the agent once some batches are in.
	b, resumed := restartWhen(t, a, hcl, j, func(j *client.Job) bool { return j.Succeeded >= 100 })
	if resumed.Succeeded < 100 || resumed.Succeeded == 1000 {
		t.Fatalf("after restart the job shows %d done; want the checkpointed batches kept and the rest to do", resumed.Succeeded)
	}
	done := finish(t, b.Client, resumed)
	if done.State != client.JobSucceeded || done.Succeeded != 1000 || done.Failed != 0 {
		t.Fatalf("resumed job %+v", done)
	}
	for _, id := range []string{"100001", "100500", "101000"} {
		if _, err := b.Client.Products().Info(ctx, "src:"+id); err != nil {
			t.Errorf("product %s after resume: %v", id, err)
		}
	}
	// The call statistics of both runs are there: every call of the job,
	// the ones before the restart included.
	st, err := b.Client.Stats().Get(ctx, client.StatsQuery{Platform: "src", Range: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if st.Total.Calls != int64(done.Calls) || st.Total.Succeeded != int64(done.Calls) || len(st.Rows) != 1 || st.Rows[0].Operation != "fetch_products" {
		t.Errorf("stats after the restart: %+v, want the job's %d calls", st.Total, done.Calls)
	}
}

func TestBlockingQueryWaitsForAChange(t *testing.T) {
	a := agenttest.New(t, bin, `platform "sandbox" "src" {}`)
	ctx := context.Background()
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, 10)})
	if err != nil {
		t.Fatal(err)
	}
	j = finish(t, a.Client, j)
	// Nothing changes any more: a watch on the current index waits out
	// its time and answers with the same job.
	start := time.Now()
	same, err := a.Client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if same.Index != j.Index || time.Since(start) < 200*time.Millisecond {
		t.Errorf("watch on an unchanged job returned after %v with index %d (was %d)", time.Since(start), same.Index, j.Index)
	}
	// An index the job no longer has answers at once.
	if now, err := a.Client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: 1, Wait: time.Hour}); err != nil || now.Index != j.Index {
		t.Errorf("watch on an old index: %v, %v", now, err)
	}
}

func TestTokenAuth(t *testing.T) {
	a := agenttest.New(t, bin, `
api {
  token = "s3cret-token"
}
platform "sandbox" "src" {}`)
	base := "http://" + a.Addr().String()
	for path, want := range map[string]int{"/v1/health": 200, "/v1/platforms": 401, "/metrics": 401, "/v1/jobs": 401} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s without a token: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if _, err := a.Client.Platforms().List(context.Background()); err != nil {
		t.Errorf("with the token: %v", err)
	}
}

func TestPluginConfigIsCheckedAgainstItsSchema(t *testing.T) {
	cfg := agenttest.Config(t, bin, `
platform "sandbox" "src" {
  config {
    products   = "many"
    colour     = "red"
  }
}`)
	_, err := agenttest.Start(t, cfg)
	var cerr *agent.ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("got %v, want a ConfigError", err)
	}
	// The config file is two lines of test preamble, then the text above:
	// products on line 6, colour on line 7.
	found := map[int]string{}
	for _, d := range cerr.Diags {
		if d.Subject != nil {
			found[d.Subject.Start.Line] = d.Summary + ": " + d.Detail
		}
	}
	if !strings.Contains(found[6], "products") || !strings.Contains(found[7], "colour") {
		t.Errorf("diagnostics by line %v, want products on 6 and colour on 7", found)
	}
	diags := agent.CheckPlugins(context.Background(), cfg, nil)
	if !diags.HasErrors() {
		t.Error("CheckPlugins found nothing wrong")
	}
	// The block has no plugin_sha256: validate says so, with the pin.
	unpinned := false
	for _, d := range diags {
		unpinned = unpinned || d.Severity == hcl.DiagWarning && d.Summary == "Plugin binary not pinned" && strings.Contains(d.Detail, "plugin_sha256 = \"")
	}
	if !unpinned {
		t.Errorf("no warning about the missing pin: %v", diags)
	}
}

// TestMetricsPassPromlint checks the agent's /metrics after a job with
// Prometheus's linter (telemetry.Lint).
func TestMetricsPassPromlint(t *testing.T) {
	a := agenttest.New(t, bin, `platform "sandbox" "src" {}`)
	j, err := a.Client.Jobs().Collect(context.Background(), client.CollectRequest{Platform: "src", IDs: ids(100001, 60)})
	if err != nil {
		t.Fatal(err)
	}
	finish(t, a.Client, j)
	resp, err := http.Get("http://" + a.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := telemetry.Lint(resp.Body); err != nil {
		t.Fatalf("/metrics fails promlint:\n%v", err)
	}
}

func TestCancelMidJobIsNotResumed(t *testing.T) {
	dir := t.TempDir()
	hcl := fmt.Sprintf(`
data_dir = %q
platform "sandbox" "src" {
  concurrency = 1
  config {
    latency = "20ms"
  }
}`, dir)
	a, err := agenttest.Start(t, agenttest.Config(t, bin, hcl))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, 2000)})
	if err != nil {
		t.Fatal(err)
	}
	for j.Succeeded < 100 {
		if j, err = a.Client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := a.Client.Jobs().Cancel(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != client.JobCancelled || c.Succeeded < 100 || c.Pending == 0 || c.FinishedAt.IsZero() {
		t.Fatalf("cancelled job %+v", c)
	}
	if _, err := a.Client.Jobs().Cancel(ctx, j.ID); err == nil || !strings.Contains(err.Error(), "job_finished") {
		t.Errorf("second cancel: %v", err)
	}
	a.Stop(t)
	b, err := agenttest.Start(t, agenttest.Config(t, bin, hcl))
	if err != nil {
		t.Fatal(err)
	}
	after, err := b.Client.Jobs().Info(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.State != client.JobCancelled || after.Succeeded != c.Succeeded {
		t.Errorf("after a restart the cancelled job is %+v, want it as it was cancelled: %+v", after, c)
	}
}
