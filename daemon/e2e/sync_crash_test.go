package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
	shopifysim "github.com/marketsync/marketsync/plugins/shopify/sim"
)

// agentProcess is a `marketsync agent` process.
type agentProcess struct {
	cmd    *exec.Cmd
	client *client.Client
	addr   string
	exited chan error
}

// startAgentProcess runs the real agent binary on the config file and
// returns once its API listens; its errors and sync lines reach the test's
// log.
func startAgentProcess(t *testing.T, cfgPath string) *agentProcess {
	t.Helper()
	pr := agenttest.StartProcess(t, bin, func(line string) {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "sync job") || strings.Contains(line, "by SKU") {
			t.Log(line)
		}
	}, "-config", cfgPath, "-api-addr", "127.0.0.1:0", "-log-level", "info")
	return &agentProcess{cmd: pr.Cmd, client: pr.Client, addr: pr.Addr, exited: pr.Exited}
}

// The agent binary is killed with SIGKILL while it syncs to both stores,
// and started again on the same data directory: the sync jobs resume from
// their checkpoints and, counted in the stores' own state, every product
// is there exactly once (no duplicate from a create the store accepted but
// the agent never recorded) with the stock it must have (no lost update).
func TestSyncSurvivesKill9(t *testing.T) {
	t.Parallel() // each runs its own agent and simulators; most of their time is spent waiting on rate limits and processes
	// Shopify tells of each product it creates (a products/create
	// webhook) and runs a bulk mutation when it is created but reports it
	// RUNNING for 20 polls: a window in which the store holds products the
	// agent has not heard of yet.
	created := make(chan struct{}, 4096)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Shopify-Topic") == "products/create" {
			created <- struct{}{}
		}
	}))
	t.Cleanup(hooks.Close)
	s := newStores(t, func(o *shopifysim.Options) { o.WebhookURL, o.BulkPolls = hooks.URL, 20 })
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.hcl")
	hcl := fmt.Sprintf("plugin_dir = %q\ndata_dir = %q\n", bin, filepath.Join(dir, "data")) + s.config(syncOptions{reserve: 2})
	hcl = strings.Replace(hcl, `bulk_poll_interval = "5ms"`, `bulk_poll_interval = "10ms"`, 1)
	if err := os.WriteFile(cfgPath, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	n := sideProducts()
	p := startAgentProcess(t, cfgPath)
	ctx := context.Background()
	if j, err := collect(p.client, "taobao", s.taobao.OnSaleIDs()[:n]); err != nil || j.Succeeded != n {
		t.Fatalf("collect: %+v %v", j, err)
	}
	products := catalogue(t, p.client)
	shopJob, err := p.client.Sync().Run(ctx, "tb-shop", client.SyncRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wooJob, err := p.client.Sync().Run(ctx, "tb-woo", client.SyncRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for shopJob.Succeeded < n/4 && !shopJob.State.Final() {
		if shopJob, err = p.client.Jobs().Watch(ctx, shopJob.ID, client.WaitOptions{Index: shopJob.Index, Wait: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	if shopJob.State.Final() {
		t.Fatalf("the sync ended before the kill: %+v", shopJob)
	}
	// Wait until Shopify made a product of a batch the agent has not
	// recorded, and kill the agent then.
	for range shopJob.Succeeded + 1 {
		<-created
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	before := s.shopify.ProductCount()
	t.Logf("killed with %d of %d products recorded and %d in shopify", shopJob.Succeeded, n, before)
	if before <= shopJob.Succeeded {
		t.Fatalf("the kill came after the store's products were recorded (%d in shopify, %d recorded)", before, shopJob.Succeeded)
	}

	q := startAgentProcess(t, cfgPath)
	for _, id := range []string{shopJob.ID, wooJob.ID} {
		j, err := q.client.Jobs().Info(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for !j.State.Final() {
			if j, err = q.client.Jobs().Watch(ctx, id, client.WaitOptions{Index: j.Index, Wait: time.Minute}); err != nil {
				t.Fatal(err)
			}
		}
		if j.State != client.JobSucceeded || j.Succeeded != n {
			t.Fatalf("resumed job %+v", j)
		}
	}
	if got := s.shopify.ProductCount(); got != n {
		t.Errorf("shopify holds %d products after the restart, want %d: duplicates or losses", got, n)
	}
	if got := s.woo.ProductCount(); got != n {
		t.Errorf("woocommerce holds %d products after the restart, want %d", got, n)
	}
	lost := 0
	for _, prod := range products {
		bs, err := q.client.Sync().Bindings(ctx, "taobao", prod.ID)
		if err != nil || len(bs) != 2 {
			t.Fatalf("bindings of %s: %+v %v", prod.ID, bs, err)
		}
		for _, b := range bs {
			if b.Target != "shop" {
				continue
			}
			for _, v := range prod.Variants {
				if got, ok := s.shopify.Stock(b.RemoteID, v.SKU); !ok || got != max(v.Stock-2, 0) {
					lost++
				}
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d SKUs in shopify lack the stock they must have", lost)
	}
	// Nothing is left over for a next run.
	if j := runSync(t, q.client, "tb-shop"); j.Total != 0 {
		t.Errorf("a run after the restart found %d products to sync", j.Total)
	}
}

// cli runs a marketsync client command against addr and returns its
// standard output and exit code.
func cli(t *testing.T, addr string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "marketsync"), args...)
	cmd.Env = append(os.Environ(), "MARKETSYNC_ADDR=http://"+addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if stderr.Len() > 0 {
		t.Logf("%s stderr: %s", args[0], stderr.String())
	}
	return string(out), code
}

// A stock changed at the source (the reserve goes from 2 to 3) and by the
// merchant in Shopify, under stock = "manual", waits in the queue while
// the product's other SKUs sync; the CLI lists, shows and resolves it with
// a value, which reaches the store, and the product's history shows the
// decision.
func TestConflictQueueThroughTheCLI(t *testing.T) {
	t.Parallel() // each runs its own agent and simulators; most of their time is spent waiting on rate limits and processes
	s := newStores(t)
	dataDir := t.TempDir()
	a := agenttest.New(t, bin, fmt.Sprintf("data_dir = %q\n", dataDir)+s.hcl)
	ids := s.taobao.OnSaleIDs()[:5]
	if j, err := collect(a.Client, "taobao", ids); err != nil || j.Succeeded != 5 {
		t.Fatalf("collect: %+v %v", j, err)
	}
	runSync(t, a.Client, "tb-shop")
	prod, err := a.Client.Products().Info(context.Background(), "taobao:"+ids[0])
	if err != nil {
		t.Fatal(err)
	}
	bs, _ := a.Client.Sync().Bindings(context.Background(), "taobao", ids[0])
	gid := bs[0].RemoteID
	sku := prod.Variants[0].SKU
	if err := s.shopify.MerchantSetStock(gid, sku, 777); err != nil {
		t.Fatal(err)
	}
	a.Stop(t)

	b := agenttest.New(t, bin, fmt.Sprintf("data_dir = %q\n", dataDir)+s.config(syncOptions{reserve: 3, stock: "manual"}))
	addr := b.Addr().String()
	if out, code := cli(t, addr, "sync", "run", "-wait", "tb-shop"); code != 0 {
		t.Fatalf("sync run exited %d:\n%s", code, out)
	}
	out, code := cli(t, addr, "conflicts", "list", "-json")
	var list []client.Conflict
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("conflicts list exited %d:\n%s", code, out)
	}
	want := fmt.Sprintf("stock[%s]", sku)
	var c client.Conflict
	for _, x := range list {
		if x.Field == want {
			c = x
		}
	}
	if c.ID == "" || c.Remote != "777" || c.Source != fmt.Sprint(max(prod.Variants[0].Stock-3, 0)) {
		t.Fatalf("no conflict on %s as expected among %+v", want, list)
	}
	if got, _ := s.shopify.Stock(gid, sku); got != 777 {
		t.Fatalf("the conflicting stock was written: %d", got)
	}
	if len(prod.Variants) > 1 {
		other := prod.Variants[1]
		if got, _ := s.shopify.Stock(gid, other.SKU); got != max(other.Stock-3, 0) {
			t.Errorf("the product's other SKU %s has stock %d, want %d: the rest of the product must sync", other.SKU, got, max(other.Stock-3, 0))
		}
	}
	if out, code := cli(t, addr, "conflicts", "show", c.ID); code != 0 || !strings.Contains(out, "777") {
		t.Fatalf("conflicts show exited %d:\n%s", code, out)
	}
	if out, code := cli(t, addr, "conflicts", "resolve", "-take", "value", "-value", "5", c.ID); code != 0 {
		t.Fatalf("conflicts resolve exited %d:\n%s", code, out)
	}
	// The resolution is written by a re-sync of the product: follow it.
	list2, err := b.Client.Sync().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list2 {
		if p.Name == "tb-shop" && p.Active != nil {
			runWatch(t, b.Client, p.Active)
		}
	}
	for {
		x, err := b.Client.Conflicts().Get(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if x.Applied {
			break
		}
		j, err := b.Client.Sync().Run(context.Background(), "tb-shop", client.SyncRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		runWatch(t, b.Client, j)
	}
	if got, _ := s.shopify.Stock(gid, sku); got != 5 {
		t.Fatalf("stock after resolving %d, want 5", got)
	}
	out, code = cli(t, addr, "product", "-history", "-json", "taobao:"+ids[0])
	var hist []client.Decision
	if code != 0 || json.Unmarshal([]byte(out), &hist) != nil {
		t.Fatalf("product -history exited %d:\n%s", code, out)
	}
	found := false
	for _, d := range hist {
		if d.Field == want && d.Rule == "manual:value" && d.Chosen == "5" && d.Remote == "777" {
			found = true
		}
	}
	if !found {
		t.Errorf("no manual decision for %s in the history %+v", want, hist)
	}
}

// runWatch follows a job to its end.
func runWatch(t *testing.T, c *client.Client, j *client.Job) *client.Job {
	t.Helper()
	var err error
	for !j.State.Final() {
		if j, err = c.Jobs().Watch(context.Background(), j.ID, client.WaitOptions{Index: j.Index, Wait: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	return j
}
