package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/daemon/webhook"
	shopifysim "github.com/marketsync/marketsync/plugins/shopify/sim"
	shopify "github.com/marketsync/marketsync/plugins/shopify/store"
	woosim "github.com/marketsync/marketsync/plugins/woocommerce/sim"
	woo "github.com/marketsync/marketsync/plugins/woocommerce/store"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/simkit"
)

var t0 = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

// pluginVerifier verifies through the real plugins, in process,
// configured as the agent would configure them: the Shopify plugin with
// the simulator's app secret, the WooCommerce plugin with its webhook
// secret. It maps their per-delivery errors as the agent does.
func pluginVerifier(t testing.TB) webhook.Verifier {
	t.Helper()
	verifiers := map[string]sdk.WebhookVerifier{}
	for name, c := range map[string]struct {
		p      sdk.Plugin
		values map[string]any
	}{
		"my-store": {shopify.New(), map[string]any{shopify.FieldShop: shopifysim.DefaultShop, shopify.FieldAccessToken: "shpat_x",
			shopify.FieldAppSecret: shopifysim.DefaultSecret, shopify.FieldLocationID: shopifysim.LocationID}},
		"woo": {woo.New(), map[string]any{woo.FieldStoreURL: "https://woo.example", woo.FieldConsumerKey: woosim.DefaultConsumerKey,
			woo.FieldConsumerSecret: woosim.DefaultConsumerSecret, woo.FieldWebhookSecret: woosim.DefaultWebhookSecret}},
	} {
		cfg, err := sdk.NewConfig(c.p.Describe().Config, c.values)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.p.Configure(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		verifiers[name] = c.p.(sdk.WebhookVerifier)
	}
	return func(ctx context.Context, platform string, d webhook.Delivery) (webhook.Event, error) {
		resp, err := verifiers[platform].VerifyWebhooks(ctx, &sdk.VerifyWebhooksRequest{Webhooks: []sdk.Webhook{{Headers: d.Headers, Body: d.Body}}})
		if err != nil {
			return webhook.Event{}, err
		}
		r := resp.Results[0]
		if r.Err != nil {
			return webhook.Event{}, &webhook.Refused{Auth: r.Err.Kind == sdk.KindAuth, Code: r.Err.Code, Message: r.Err.Message}
		}
		return webhook.Event{DeliveryID: r.Event.DeliveryID, Topic: r.Event.Topic, RemoteIDs: r.Event.RemoteIDs, OccurredAt: r.Event.OccurredAt}, nil
	}
}

// shopifyDelivery is a products/update delivery with the headers and
// signature the Shopify simulator gives its deliveries (sim.Sign,
// hookLocked).
func shopifyDelivery(n int, productID int64, title string) webhook.Delivery {
	body, _ := json.Marshal(map[string]any{"id": productID, "admin_graphql_api_id": fmt.Sprintf("gid://shopify/Product/%d", productID), "title": title})
	return webhook.Delivery{Body: body, Headers: lower(http.Header{
		"X-Shopify-Topic":        {"products/update"},
		"X-Shopify-Hmac-Sha256":  {shopifysim.Sign(shopifysim.DefaultSecret, body)},
		"X-Shopify-Shop-Domain":  {shopifysim.DefaultShop},
		"X-Shopify-Webhook-Id":   {fmt.Sprintf("b54557e4-bdd9-4b37-8a5f-%012d", n)},
		"X-Shopify-Triggered-At": {t0.Format(time.RFC3339Nano)},
	})}
}

// wooDelivery is a real delivery of the WooCommerce simulator: a
// merchant's edit of a product it holds, signed with its webhook secret.
func wooDelivery(t *testing.T) (webhook.Delivery, string) {
	t.Helper()
	s, srv := woosim.ServeTLS(t, woosim.Options{})
	// The product is made through the store's REST API, as a merchant's
	// tool would (Basic auth over HTTPS).
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/wp-json/wc/v3/products",
		strings.NewReader(`{"name":"Enamel mug","type":"simple","sku":"MUG-1","regular_price":"9.00"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(woosim.DefaultConsumerKey, woosim.DefaultConsumerSecret)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID int64 }
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create a product: %s, %v", resp.Status, err)
	}
	id := created.ID
	if err := s.MerchantUpdate(id, map[string]any{"name": "Enamel mug (blue)"}); err != nil {
		t.Fatal(err)
	}
	ds := s.Deliveries()
	d := ds[len(ds)-1]
	return webhook.Delivery{Headers: lower(d.Header), Body: d.Body}, fmt.Sprint(id)
}

func lower(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return out
}

// resyncer records what it is told and fails while told to.
type resyncer struct {
	mu    sync.Mutex
	calls []string // "platform:id,id"
	fail  int
	got   chan struct{}
}

func newResyncer() *resyncer { return &resyncer{got: make(chan struct{}, 100)} }

func (r *resyncer) Changed(_ context.Context, platform string, ids []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		r.got <- struct{}{}
		return errors.New("the sync engine is busy")
	}
	r.calls = append(r.calls, platform+":"+strings.Join(ids, ","))
	r.got <- struct{}{}
	return nil
}

func (r *resyncer) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// counts is an Observer.
type counts struct {
	mu       sync.Mutex
	received map[string]int
	handled  map[string]int
}

func newCounts() *counts { return &counts{received: map[string]int{}, handled: map[string]int{}} }

func (c *counts) WebhookReceived(platform, outcome string) {
	c.mu.Lock()
	c.received[platform+" "+outcome]++
	c.mu.Unlock()
}

func (c *counts) WebhookHandled(platform, outcome string, n int) {
	c.mu.Lock()
	c.handled[platform+" "+outcome] += n
	c.mu.Unlock()
}

func (c *counts) get(m map[string]int, key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m[key]
}

func queueLen(t *testing.T, r *webhook.Receiver) int {
	t.Helper()
	n, err := r.Pending()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestShopifyOnceAndReplay: a genuine Shopify delivery is recorded and
// handed on once; the same delivery again is answered as a duplicate and
// does nothing; a tampered one is refused as not genuine and records
// nothing.
func TestShopifyOnceAndReplay(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	clk := simkit.NewFakeClock(t0)
	rs, obs := newResyncer(), newCounts()
	r := webhook.New(webhook.Options{DB: db, Verify: pluginVerifier(t), Resyncer: rs, Observer: obs, Clock: clk})
	ctx := context.Background()

	d := shopifyDelivery(1, 7, "Canvas backpack")
	out, ev, err := r.Receive(ctx, "my-store", d)
	if err != nil || out != webhook.Accepted || ev.Topic != "products/update" || !slices.Equal(ev.RemoteIDs, []string{"gid://shopify/Product/7"}) {
		t.Fatalf("Receive = %s %+v %v", out, ev, err)
	}
	if out, _, err := r.Receive(ctx, "my-store", d); err != nil || out != webhook.Duplicate {
		t.Fatalf("the replay: %s, %v; want a duplicate", out, err)
	}
	tampered := d
	tampered.Body = []byte(strings.Replace(string(d.Body), "Canvas", "Leather", 1))
	var refused *webhook.Refused
	if _, _, err := r.Receive(ctx, "my-store", tampered); !errors.As(err, &refused) || !refused.Auth {
		t.Fatalf("a tampered delivery: %v, want refused as not genuine", err)
	}
	unsigned := shopifyDelivery(2, 8, "Mug")
	delete(unsigned.Headers, "x-shopify-hmac-sha256")
	if _, _, err := r.Receive(ctx, "my-store", unsigned); !errors.As(err, &refused) || !refused.Auth {
		t.Fatalf("an unsigned delivery: %v, want refused as not genuine", err)
	}
	if n := queueLen(t, r); n != 1 {
		t.Fatalf("%d events recorded, want the genuine one only", n)
	}
	if _, err := r.HandleDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rs.seen(); !slices.Equal(got, []string{"my-store:gid://shopify/Product/7"}) {
		t.Errorf("resyncer told %v", got)
	}
	// A later replay, after the event was handled, still does nothing.
	if out, _, _ := r.Receive(ctx, "my-store", d); out != webhook.Duplicate {
		t.Errorf("a replay after handling: %s", out)
	}
	if _, err := r.HandleDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rs.seen(); len(got) != 1 || queueLen(t, r) != 0 {
		t.Errorf("resyncer told %v, %d queued", got, queueLen(t, r))
	}
	for key, want := range map[string]int{"my-store accepted": 1, "my-store duplicate": 2, "my-store refused": 2} {
		if got := obs.get(obs.received, key); got != want {
			t.Errorf("%s = %d, want %d", key, got, want)
		}
	}
}

// TestWooCommerceSimulatorDelivery: a delivery the WooCommerce simulator
// sent for a merchant's edit is verified by the plugin and handed on
// with the product's id; a second delivery with the same id but another
// body (WooCommerce's ids repeat within a second) is not a duplicate.
func TestWooCommerceSimulatorDelivery(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	clk := simkit.NewFakeClock(t0)
	rs := newResyncer()
	r := webhook.New(webhook.Options{DB: db, Verify: pluginVerifier(t), Resyncer: rs, Clock: clk})
	ctx := context.Background()
	d, id := wooDelivery(t)
	if out, ev, err := r.Receive(ctx, "woo", d); err != nil || out != webhook.Accepted || ev.Topic != "product.updated" {
		t.Fatalf("Receive = %s %+v %v", out, ev, err)
	}
	if out, _, _ := r.Receive(ctx, "woo", d); out != webhook.Duplicate {
		t.Errorf("replay: %s", out)
	}
	other := webhook.Delivery{Headers: maps(d.Headers), Body: []byte(strings.Replace(string(d.Body), "(blue)", "(red)", 1))}
	other.Headers["x-wc-webhook-signature"] = woosim.Sign(other.Body, woosim.DefaultWebhookSecret)
	if out, _, err := r.Receive(ctx, "woo", other); err != nil || out != webhook.Accepted {
		t.Errorf("same delivery id, other change: %s, %v", out, err)
	}
	wrongKey := webhook.Delivery{Headers: maps(d.Headers), Body: d.Body}
	wrongKey.Headers["x-wc-webhook-signature"] = woosim.Sign(d.Body, "not-the-secret")
	if _, _, err := r.Receive(ctx, "woo", wrongKey); err == nil {
		t.Error("a delivery signed with another secret was taken")
	}
	if _, err := r.HandleDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rs.seen(); !slices.Equal(got, []string{"woo:" + id}) {
		t.Errorf("resyncer told %v, want one call for product %s", got, id)
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestResyncerFailureRetries: events the Resyncer refuses are kept and
// handed again after a backoff; several events of a platform go in one
// call with their distinct ids.
func TestResyncerFailureRetries(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	clk := simkit.NewFakeClock(t0)
	rs, obs := newResyncer(), newCounts()
	rs.fail = 2
	r := webhook.New(webhook.Options{DB: db, Verify: pluginVerifier(t), Resyncer: rs, Observer: obs, Clock: clk, BaseDelay: time.Second})
	ctx := context.Background()
	for i, p := range []int64{7, 8, 7} {
		if _, _, err := r.Receive(ctx, "my-store", shopifyDelivery(i, p, fmt.Sprint("title ", i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, wait := range []time.Duration{time.Second, 2 * time.Second} {
		next, err := r.HandleDue(ctx)
		if err != nil || !next.Equal(clk.Now().Add(wait)) {
			t.Fatalf("HandleDue = %s, %v; want a retry in %s", next, err, wait)
		}
		if next, _ := r.HandleDue(ctx); len(rs.seen()) != 0 || !next.Equal(clk.Now().Add(wait)) {
			t.Fatal("retried before its backoff")
		}
		clk.Advance(wait)
	}
	if _, err := r.HandleDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rs.seen(); !slices.Equal(got, []string{"my-store:gid://shopify/Product/7,gid://shopify/Product/8"}) {
		t.Errorf("resyncer told %v", got)
	}
	if obs.get(obs.handled, "my-store failed") != 6 || obs.get(obs.handled, "my-store resynced") != 3 || queueLen(t, r) != 0 {
		t.Errorf("handled %v, %d queued", obs.handled, queueLen(t, r))
	}
}

// TestNoResyncerCountsUnhandled: without a sync engine, recorded events
// are logged and counted as unhandled, never dropped silently.
func TestNoResyncerCountsUnhandled(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	obs := newCounts()
	r := webhook.New(webhook.Options{DB: db, Verify: pluginVerifier(t), Observer: obs, Clock: simkit.NewFakeClock(t0)})
	if _, _, err := r.Receive(context.Background(), "my-store", shopifyDelivery(1, 7, "x")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.HandleDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := obs.get(obs.handled, "my-store unhandled"); got != 1 {
		t.Errorf("unhandled = %d, want 1", got)
	}
}

// TestDedupeExpires: a delivery is remembered for DedupeTTL, survives a
// restart, and its mark is swept once expired.
func TestDedupeExpires(t *testing.T) {
	dir := t.TempDir()
	clk := simkit.NewFakeClock(t0)
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	opts := webhook.Options{DB: db, Verify: pluginVerifier(t), Clock: clk, DedupeTTL: time.Hour}
	d := shopifyDelivery(1, 7, "x")
	if out, _, err := webhook.New(opts).Receive(context.Background(), "my-store", d); err != nil || out != webhook.Accepted {
		t.Fatal(out, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	opts.DB = storetest.Open(t, store.Options{Dir: dir, GCInterval: -1})
	r := webhook.New(opts)
	if n := queueLen(t, r); n != 1 {
		t.Errorf("after a restart %d events wait, want 1", n)
	}
	clk.Advance(59 * time.Minute)
	if out, _, _ := r.Receive(context.Background(), "my-store", d); out != webhook.Duplicate {
		t.Errorf("within the TTL after a restart: %s", out)
	}
	if n, err := r.Sweep(clk.Now()); err != nil || n != 0 {
		t.Errorf("Sweep before expiry = %d, %v", n, err)
	}
	clk.Advance(time.Minute)
	if n, err := r.Sweep(clk.Now()); err != nil || n != 1 {
		t.Errorf("Sweep at expiry = %d, %v", n, err)
	}
	if out, _, _ := r.Receive(context.Background(), "my-store", d); out != webhook.Accepted {
		t.Errorf("past the TTL: %s", out)
	}
}

// TestRateLimit: past its burst a platform's deliveries are refused
// before verification, with the wait; another platform is not held up.
func TestRateLimit(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	clk := simkit.NewFakeClock(t0)
	verified := 0
	verify := pluginVerifier(t)
	r := webhook.New(webhook.Options{DB: db, Clock: clk, Rate: 1, Burst: 2,
		Verify: func(ctx context.Context, platform string, d webhook.Delivery) (webhook.Event, error) {
			verified++
			return verify(ctx, platform, d)
		}})
	ctx := context.Background()
	for i := range 2 {
		if _, _, err := r.Receive(ctx, "my-store", shopifyDelivery(i, 7, "x")); err != nil {
			t.Fatal(err)
		}
	}
	var limited *webhook.RateLimited
	if _, _, err := r.Receive(ctx, "my-store", shopifyDelivery(3, 7, "x")); !errors.As(err, &limited) || limited.RetryAfter != time.Second {
		t.Fatalf("third delivery: %v", err)
	}
	if verified != 2 {
		t.Errorf("%d verifications, want 2: a limited delivery is not verified", verified)
	}
	d, _ := wooDelivery(t)
	if _, _, err := r.Receive(ctx, "woo", d); err != nil {
		t.Errorf("another platform: %v", err)
	}
	clk.Advance(time.Second)
	if _, _, err := r.Receive(ctx, "my-store", shopifyDelivery(3, 7, "x")); err != nil {
		t.Errorf("after the wait: %v", err)
	}
}

// TestForgedDeliveriesDoNotStarveGenuine: deliveries refused as not
// genuine, many more than the platform's burst, are each refused (not
// told to wait) and leave the platform's budget to its genuine
// deliveries, which are taken.
func TestForgedDeliveriesDoNotStarveGenuine(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	clk := simkit.NewFakeClock(t0)
	obs := newCounts()
	r := webhook.New(webhook.Options{DB: db, Clock: clk, Rate: 1, Burst: 2, Observer: obs, Verify: pluginVerifier(t)})
	ctx := context.Background()
	for i := range 10 {
		forged := shopifyDelivery(100+i, 7, "x")
		forged.Headers["x-shopify-hmac-sha256"] = shopifysim.Sign("not-the-secret", forged.Body)
		var refused *webhook.Refused
		if _, _, err := r.Receive(ctx, "my-store", forged); !errors.As(err, &refused) || !refused.Auth {
			t.Fatalf("forged delivery %d: %v, want refused as not genuine", i, err)
		}
	}
	for i := range 2 {
		if out, _, err := r.Receive(ctx, "my-store", shopifyDelivery(i, 7, "x")); err != nil || out != webhook.Accepted {
			t.Fatalf("genuine delivery %d after the forged ones: %s, %v", i, out, err)
		}
	}
	var limited *webhook.RateLimited
	if _, _, err := r.Receive(ctx, "my-store", shopifyDelivery(3, 7, "x")); !errors.As(err, &limited) {
		t.Errorf("a genuine delivery past the burst: %v, want rate limited", err)
	}
	if got := obs.get(obs.received, "my-store refused"); got != 10 {
		t.Errorf("refused = %d, want 10", got)
	}
}

// TestNotTaken: a delivery for a platform whose plugin, as configured,
// takes no webhooks is answered NotTaken, records nothing, is counted,
// and does not spend the platform's budget of genuine deliveries.
func TestNotTaken(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	obs := newCounts()
	r := webhook.New(webhook.Options{DB: db, Clock: simkit.NewFakeClock(t0), Rate: 1, Burst: 1, Observer: obs,
		Verify: func(context.Context, string, webhook.Delivery) (webhook.Event, error) {
			return webhook.Event{}, &webhook.NotTaken{Code: "webhooks_not_configured", Message: "no secret"}
		}})
	for range 3 {
		var notTaken *webhook.NotTaken
		if _, _, err := r.Receive(context.Background(), "woo", shopifyDelivery(1, 7, "x")); !errors.As(err, &notTaken) {
			t.Fatalf("Receive: %v, want NotTaken", err)
		}
	}
	if n := queueLen(t, r); n != 0 {
		t.Errorf("%d events recorded", n)
	}
	if got := obs.get(obs.received, "woo not_taken"); got != 3 {
		t.Errorf("not_taken = %d, want 3", got)
	}
}

// TestHandoff: a verified delivery that Handoff takes is answered with
// the outcome it gives and recorded nowhere here; one it fails is an
// error and recorded nowhere either (the platform sends it again); a
// refused delivery never reaches it; one it does not take is recorded as
// usual.
func TestHandoff(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	obs := newCounts()
	var handed []string
	var fail error
	take := true
	r := webhook.New(webhook.Options{DB: db, Verify: pluginVerifier(t), Observer: obs, Clock: simkit.NewFakeClock(t0),
		Handoff: func(_ context.Context, platform string, d webhook.Delivery) (webhook.Outcome, bool, error) {
			handed = append(handed, platform+" "+d.Headers["x-shopify-webhook-id"])
			return webhook.Duplicate, take, fail
		}})
	ctx := context.Background()

	d := shopifyDelivery(1, 7, "Canvas backpack")
	if out, ev, err := r.Receive(ctx, "my-store", d); err != nil || out != webhook.Duplicate || ev.DeliveryID == "" {
		t.Fatalf("handed off: %s %+v %v; want the outcome Handoff gave", out, ev, err)
	}
	fail = errors.New("the owner did not answer")
	if _, _, err := r.Receive(ctx, "my-store", shopifyDelivery(2, 8, "Mug")); !errors.Is(err, fail) {
		t.Fatalf("a failed handoff: %v", err)
	}
	forged := shopifyDelivery(3, 9, "Lamp")
	forged.Body = []byte(strings.Replace(string(forged.Body), "Lamp", "Lump", 1))
	var refused *webhook.Refused
	if _, _, err := r.Receive(ctx, "my-store", forged); !errors.As(err, &refused) {
		t.Fatalf("a forged delivery: %v", err)
	}
	if n := queueLen(t, r); n != 0 || len(handed) != 2 {
		t.Fatalf("%d events recorded here, %d handed off (%v); want 0 and the two genuine ones", n, len(handed), handed)
	}
	take, fail = false, nil
	if out, _, err := r.Receive(ctx, "my-store", d); err != nil || out != webhook.Accepted || queueLen(t, r) != 1 {
		t.Fatalf("not taken by Handoff: %s %v, %d recorded; want it accepted here", out, err, queueLen(t, r))
	}
	for key, want := range map[string]int{"my-store handed_off": 1, "my-store error": 1, "my-store refused": 1, "my-store accepted": 1} {
		if got := obs.get(obs.received, key); got != want {
			t.Errorf("%s = %d, want %d", key, got, want)
		}
	}
}
