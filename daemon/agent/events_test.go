package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/events"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/telemetry"
	shopifysim "github.com/marketsync/marketsync/plugins/shopify/sim"
	woosim "github.com/marketsync/marketsync/plugins/woocommerce/sim"
)

const sinkSecret = "whsec_erp_0123456789"

// erp is an event sink that checks every delivery's signature as the
// README tells receivers to, and passes on the events it accepted.
func erp(t *testing.T) (*httptest.Server, chan outbox.Event) {
	got := make(chan outbox.Event, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := outbox.Verify([]byte(sinkSecret), r.Header.Get("X-Marketsync-Signature"), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var e outbox.Event
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("event %s: %v", body, err)
		}
		got <- e
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// next waits for the next event; the timeout only keeps a broken build
// from hanging.
func next(t *testing.T, got chan outbox.Event) outbox.Event {
	t.Helper()
	select {
	case e := <-got:
		return e
	case <-time.After(time.Minute):
		t.Fatal("no event within a minute")
		return outbox.Event{}
	}
}

// TestCollectEmitsEvents: a collect job's products and its end reach a
// sink subscribed to them, signed; the sink's status and metrics say so.
func TestCollectEmitsEvents(t *testing.T) {
	srv, got := erp(t)
	a := agenttest.New(t, bin, fmt.Sprintf(`platform "sandbox" "src" {}
event_sink "erp" {
  url    = %q
  secret = %q
  events = ["product.collected", "job.finished"]
}
event_sink "audit" {
  url    = "http://127.0.0.1:1/down"
  secret = "another-secret"
  events = ["job.finished"]
}
`, srv.URL, sinkSecret))
	ctx := context.Background()
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: []string{"100001", "100002", "999999"}})
	if err != nil {
		t.Fatal(err)
	}
	j = finish(t, a.Client, j)
	var products []string
	var finished events.JobFinished
	for range 3 {
		e := next(t, got)
		switch e.Type {
		case outbox.ProductCollected:
			var p events.ProductCollected
			_ = json.Unmarshal(e.Data, &p)
			if p.Platform != "src" || p.JobID != j.ID || p.Variants == 0 {
				t.Errorf("product.collected %s", e.Data)
			}
			products = append(products, p.ProductID)
		case outbox.JobFinished:
			_ = json.Unmarshal(e.Data, &finished)
		default:
			t.Errorf("event %s", e.Type)
		}
	}
	slices.Sort(products)
	if !slices.Equal(products, []string{"100001", "100002"}) {
		t.Errorf("product.collected for %v", products)
	}
	if finished.JobID != j.ID || finished.State != "partial" || finished.Succeeded != 2 || finished.Failed != 1 || finished.Kind != "collect" || finished.FinishedAt.IsZero() {
		t.Errorf("job.finished %+v", finished)
	}
	// The sink that is down keeps its one event (job.finished) queued.
	sinks, err := a.Client.EventSinks(ctx)
	if err != nil || len(sinks) != 2 || sinks[0].Name != "audit" || sinks[0].Pending != 1 || !sinks[0].Configured || sinks[0].Oldest == nil || sinks[1].Name != "erp" {
		t.Fatalf("sinks %+v, %v", sinks, err)
	}
	metrics := scrape(t, a)
	for _, want := range []string{`marketsync_event_sink_pending{sink="audit"} 1`, `marketsync_event_deliveries_total{sink="erp",outcome="delivered"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func scrape(t *testing.T, a *agenttest.Agent) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+a.Addr().String()+"/metrics", nil)
	if tok := a.Config.API.Token.Reveal(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// resyncer is the sync engine as the webhooks see it.
type resyncer struct {
	calls chan string
}

func (r *resyncer) Changed(_ context.Context, platform string, ids []string) error {
	r.calls <- platform + " " + strings.Join(ids, ",")
	return nil
}

func (r *resyncer) next(t *testing.T) string {
	t.Helper()
	select {
	case c := <-r.calls:
		return c
	case <-time.After(time.Minute):
		t.Fatal("the resyncer was not called within a minute")
		return ""
	}
}

// TestWebhooksThroughTheAgent: deliveries signed as the Shopify and
// WooCommerce simulators sign them reach the route without the API's
// token, are verified by the real plugins through their actors, taken
// once and handed to the resyncer; a forged one is a 401 and records
// nothing; a platform without the webhooks capability is a 404.
func TestWebhooksThroughTheAgent(t *testing.T) {
	shop := shopifysim.ServeTest(t, shopifysim.Options{})
	woo, wooSrv := woosim.ServeTLS(t, woosim.Options{})
	so := shop.Options()
	a := agenttest.New(t, bin, fmt.Sprintf(`api { token = "agent-token" }
platform "sandbox" "src" {}
platform "shopify" "my-store" {
  config {
    shop         = %q
    access_token = %q
    app_secret   = %q
    location_id  = %q
    endpoint     = %q
  }
}
%s%s`, so.Shop, so.Token, so.Secret, shopifysim.LocationID, shop.URL, wooBlock("woo", woo.URL, woo.WebhookSecret()), wooBlock("woo-unsigned", woo.URL, "")))
	rs := &resyncer{calls: make(chan string, 10)}
	a.SetResyncer(rs)
	base := "http://" + a.Addr().String() + "/v1/webhooks/"
	post := func(path string, h http.Header, body []byte) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		req.Header = h.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	shopifyHook := func(n int, product int64) (http.Header, []byte) {
		body, _ := json.Marshal(map[string]any{"id": product, "admin_graphql_api_id": fmt.Sprintf("gid://shopify/Product/%d", product), "title": "Canvas backpack"})
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("X-Shopify-Topic", "products/update")
		h.Set("X-Shopify-Hmac-Sha256", shopifysim.Sign(so.Secret, body))
		h.Set("X-Shopify-Shop-Domain", so.Shop)
		h.Set("X-Shopify-Webhook-Id", fmt.Sprintf("b54557e4-bdd9-4b37-8a5f-%012d", n))
		return h, body
	}

	h, body := shopifyHook(1, 7)
	if status, out := post("shopify/my-store", h, body); status != http.StatusOK || out["status"] != "accepted" {
		t.Fatalf("genuine delivery: %d %v", status, out)
	}
	if got := rs.next(t); got != "my-store gid://shopify/Product/7" {
		t.Errorf("resyncer told %q", got)
	}
	if status, out := post("shopify/my-store", h, body); status != http.StatusOK || out["status"] != "duplicate" {
		t.Errorf("replay: %d %v", status, out)
	}
	forged := h.Clone()
	forged.Set("X-Shopify-Hmac-Sha256", shopifysim.Sign("not-the-secret", body))
	if status, out := post("shopify/my-store", forged, body); status != http.StatusUnauthorized || out["error"].(map[string]any)["code"] != "bad_signature" {
		t.Errorf("forged: %d %v", status, out)
	}
	if status, _ := post("sandbox/src", h, body); status != http.StatusNotFound {
		t.Errorf("a platform without webhooks: %d", status)
	}
	if status, _ := post("woocommerce/my-store", h, body); status != http.StatusNotFound {
		t.Errorf("a plugin the platform is not: %d", status)
	}

	// A delivery the WooCommerce simulator made for a merchant's edit.
	id := createWooProduct(t, woo, wooSrv)
	if err := woo.MerchantUpdate(id, map[string]any{"name": "Enamel mug (blue)"}); err != nil {
		t.Fatal(err)
	}
	ds := woo.Deliveries()
	d := ds[len(ds)-1]
	// A store without a webhook secret takes no webhooks: 404 as for a
	// platform that never takes them, without telling why.
	if status, out := post("woocommerce/woo-unsigned", d.Header, d.Body); status != http.StatusNotFound ||
		out["error"].(map[string]any)["code"] != "not_found" || strings.Contains(fmt.Sprint(out), "secret") {
		t.Errorf("a WooCommerce platform without webhook_secret: %d %v", status, out)
	}
	if status, out := post("woocommerce/woo", d.Header, d.Body); status != http.StatusOK || out["status"] != "accepted" {
		t.Fatalf("WooCommerce delivery: %d %v", status, out)
	}
	// The next call is for the WooCommerce product: the Shopify replay
	// and the forgery queued nothing.
	if got := rs.next(t); got != fmt.Sprintf("woo %d", id) {
		t.Errorf("resyncer told %q", got)
	}
	metrics := scrape(t, a)
	if err := telemetry.Lint(strings.NewReader(metrics)); err != nil {
		t.Errorf("promlint: %v", err)
	}
	for _, want := range []string{
		`marketsync_webhooks_received_total{platform="my-store",outcome="accepted"} 1`,
		`marketsync_webhooks_received_total{platform="my-store",outcome="duplicate"} 1`,
		`marketsync_webhooks_received_total{platform="my-store",outcome="refused"} 1`,
		`marketsync_webhook_events_total{platform="my-store",outcome="resynced"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func createWooProduct(t *testing.T, woo *woosim.Running, srv *httptest.Server) int64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, woo.URL+"/wp-json/wc/v3/products",
		strings.NewReader(`{"name":"Enamel mug","type":"simple","sku":"MUG-1","regular_price":"9.00"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(woosim.DefaultConsumerKey, woosim.DefaultConsumerSecret)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var created struct{ ID int64 }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create a product: %s, %v", resp.Status, err)
	}
	return created.ID
}

// TestReloadSinks: a reload adds a sink, which receives the events of
// what happens after it; a sink whose secret_file is missing fails the
// reload, which changes nothing.
func TestReloadSinks(t *testing.T) {
	srv, got := erp(t)
	a := agenttest.New(t, bin, `platform "sandbox" "src" {}`)
	ctx := context.Background()
	sink := fmt.Sprintf(`platform "sandbox" "src" {}
event_sink "erp" {
  url    = %q
  secret = %q
  events = ["job.finished"]
}
`, srv.URL, sinkSecret)
	if _, err := a.Reload(ctx, agenttest.Config(t, bin, sink)); err != nil {
		t.Fatal(err)
	}
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: []string{"100001"}})
	if err != nil {
		t.Fatal(err)
	}
	finish(t, a.Client, j)
	e := next(t, got)
	var data events.JobFinished
	if err := json.Unmarshal(e.Data, &data); err != nil || e.Type != outbox.JobFinished || data.JobID != j.ID || data.State != "succeeded" {
		t.Errorf("after the reload: %s %s", e.Type, e.Data)
	}
	_, err = a.Reload(ctx, agenttest.Config(t, bin, `platform "sandbox" "src" {}
event_sink "erp" {
  url         = "https://erp.example"
  secret_file = "/nonexistent/erp.secret"
}
`))
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/erp.secret") {
		t.Fatalf("a reload with a missing secret file: %v", err)
	}
	sinks, err := a.Client.EventSinks(ctx)
	if err != nil || len(sinks) != 1 || sinks[0].URL != srv.URL {
		t.Errorf("after the failed reload: %+v, %v; want the sink as it was", sinks, err)
	}
}

// TestReloadRegistersWebhookSeries: a platform that takes webhooks, added
// by a reload, has its webhook series on /metrics before its first
// delivery, as one configured at start has; removed by a reload, it has
// none left.
func TestReloadRegistersWebhookSeries(t *testing.T) {
	woo, _ := woosim.ServeTLS(t, woosim.Options{})
	a := agenttest.New(t, bin, `platform "sandbox" "src" {}`)
	want := `marketsync_webhooks_received_total{platform="woo",outcome="accepted"} 0`
	if strings.Contains(scrape(t, a), want) {
		t.Fatalf("/metrics has %s before the platform is configured", want)
	}
	if _, err := a.Reload(context.Background(), agenttest.Config(t, bin, `platform "sandbox" "src" {}
`+wooBlock("woo", woo.URL, woo.WebhookSecret()))); err != nil {
		t.Fatal(err)
	}
	metrics := scrape(t, a)
	for _, want := range []string{want, `marketsync_webhook_events_total{platform="woo",outcome="resynced"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("after the reload /metrics lacks %s", want)
		}
	}
	// Removed by the next reload, the platform's series go with it.
	if _, err := a.Reload(context.Background(), agenttest.Config(t, bin, `platform "sandbox" "src" {}`)); err != nil {
		t.Fatal(err)
	}
	metrics = scrape(t, a)
	if strings.Contains(metrics, `platform="woo"`) {
		t.Errorf("after the platform's removal /metrics still has its series")
	}
	if !strings.Contains(metrics, `marketsync_platform_state{platform="src",state="ready"} 1`) {
		t.Errorf("after another platform's removal /metrics lacks src's state")
	}
}

// wooBlock is the platform block of a WooCommerce store served by the
// simulator at url; an empty secret leaves webhook_secret out.
func wooBlock(name, url, secret string) string {
	secretLine := ""
	if secret != "" {
		secretLine = fmt.Sprintf("    webhook_secret  = %q\n", secret)
	}
	return fmt.Sprintf(`platform "woocommerce" %q {
  config {
    store_url       = %q
    consumer_key    = %q
    consumer_secret = %q
%s  }
}
`, name, url, woosim.DefaultConsumerKey, woosim.DefaultConsumerSecret, secretLine)
}
