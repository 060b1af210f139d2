package sim_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/woocommerce/sim"
	"github.com/marketsync/marketsync/plugins/woocommerce/wcapi"
)

// signer makes OAuth 1.0a requests to a running store.
type signer struct {
	s              *sim.Running
	key, secret    string
	method         string // signature method
	nonce          int
	skew           time.Duration
	inHeader, drop string
}

func newSigner(s *sim.Running) *signer {
	c := s.Credentials()
	return &signer{s: s, key: c.ConsumerKey, secret: c.ConsumerSecret, method: "HMAC-SHA256"}
}

// do sends a signed request for route (below /wp-json/wc/v3/) and
// returns the status and the body.
func (g *signer) do(t *testing.T, method, route string, query url.Values, body any) (int, http.Header, []byte) {
	t.Helper()
	g.nonce++
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set(wcapi.OAuthConsumerKey, g.key)
	q.Set(wcapi.OAuthTimestamp, strconv.FormatInt(g.s.Clock.Now().Add(g.skew).Unix(), 10))
	q.Set(wcapi.OAuthNonce, fmt.Sprintf("nonce%d", g.nonce))
	q.Set(wcapi.OAuthSignatureMethod, g.method)
	base := g.s.URL + wcapi.APIRoot + route
	q.Set(wcapi.OAuthSignature, wcapi.Sign(method, base, wcapi.Flatten(q), g.secret))
	if g.method == "HMAC-SHA1" {
		mac := hmac.New(sha1.New, []byte(g.secret+"&"))
		mac.Write([]byte(wcapi.BaseString(method, base, wcapi.Flatten(q))))
		q.Set(wcapi.OAuthSignature, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	if g.drop != "" {
		q.Del(g.drop)
	}
	header := http.Header{}
	if g.inHeader != "" {
		var parts []string
		for k := range q {
			if strings.HasPrefix(k, "oauth_") {
				parts = append(parts, fmt.Sprintf(`%s="%s"`, k, url.QueryEscape(q.Get(k))))
				q.Del(k)
			}
		}
		header.Set("Authorization", "OAuth "+strings.Join(parts, ", "))
	}
	return send(t, http.DefaultClient, method, base+"?"+q.Encode(), header, body)
}

func send(t *testing.T, c *http.Client, method, target string, header http.Header, body any) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

type wpError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

func errorOf(t *testing.T, b []byte) wpError {
	t.Helper()
	var e wpError
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("not an error object: %s", b)
	}
	return e
}

func wantError(t *testing.T, status int, body []byte, wantStatus int, code, msg string) {
	t.Helper()
	e := errorOf(t, body)
	if status != wantStatus || e.Code != code || (msg != "" && e.Message != msg) {
		t.Errorf("got %d %s %q, want %d %s %q", status, e.Code, e.Message, wantStatus, code, msg)
	}
}

func simple(sku string) map[string]any {
	return map[string]any{"name": "P " + sku, "type": "simple", "sku": sku, "regular_price": "9.90", "manage_stock": true, "stock_quantity": 3}
}

// batchAnswer is products/batch's answer.
type batchAnswer struct {
	Create, Update, Delete []struct {
		ID    int64    `json:"id"`
		SKU   string   `json:"sku"`
		Price string   `json:"regular_price"`
		Error *wpError `json:"error"`
	}
}

func batch(t *testing.T, g *signer, route string, body map[string]any) batchAnswer {
	t.Helper()
	status, _, b := g.do(t, http.MethodPost, route, nil, body)
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", route, status, b)
	}
	var a batchAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// More than 100 objects in one batch, creates, updates and deletes
// together, is refused whole with 413 as check_batch_limit refuses it;
// 100 are carried out.
func TestBatchCap(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	g := newSigner(s)
	items := func(n int, prefix string) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = simple(fmt.Sprintf("%s%d", prefix, i))
		}
		return out
	}
	status, _, b := g.do(t, http.MethodPost, "products/batch", nil, map[string]any{"create": items(101, "a")})
	wantError(t, status, b, http.StatusRequestEntityTooLarge, "woocommerce_rest_request_entity_too_large", "Unable to accept more than 100 items for this request.")
	status, _, b = g.do(t, http.MethodPost, "products/batch", nil, map[string]any{"create": items(60, "b"), "delete": make([]int, 41)})
	wantError(t, status, b, http.StatusRequestEntityTooLarge, "woocommerce_rest_request_entity_too_large", "")
	if n := s.ProductCount(); n != 0 {
		t.Fatalf("a refused batch wrote %d products", n)
	}
	a := batch(t, g, "products/batch", map[string]any{"create": items(100, "c")})
	if len(a.Create) != 100 || s.ProductCount() != 100 {
		t.Fatalf("a batch of 100: %d results, %d products", len(a.Create), s.ProductCount())
	}
	limited := sim.ServeTest(t, sim.Options{BatchLimit: 5})
	status, _, b = newSigner(limited).do(t, http.MethodPost, "products/batch", nil, map[string]any{"create": items(6, "d")})
	wantError(t, status, b, http.StatusRequestEntityTooLarge, "woocommerce_rest_request_entity_too_large", "Unable to accept more than 5 items for this request.")
}

// A batch answers 200 with one entry per item; the refused ones carry
// {"id", "error"} with WooCommerce's code, next to the others.
func TestPerItemErrorsInside200(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	g := newSigner(s)
	first := batch(t, g, "products/batch", map[string]any{"create": []any{simple("MUG")}})
	mug := first.Create[0].ID
	withID := simple("NEW")
	withID["id"] = 5
	badPrice := simple("CHEAP")
	badPrice["regular_price"] = "nine"
	badStatus := simple("HIDDEN")
	badStatus["status"] = "hidden"
	a := batch(t, g, "products/batch", map[string]any{
		"create": []any{simple("OK"), simple("MUG"), withID, badPrice, badStatus},
		"update": []any{map[string]any{"id": 999999, "name": "x"}, map[string]any{"id": mug, "regular_price": "10.50"}},
		"delete": []any{888888},
	})
	check := func(what string, got *wpError, code string, status float64) {
		t.Helper()
		switch {
		case code == "" && got != nil:
			t.Errorf("%s: refused with %s %s", what, got.Code, got.Message)
		case code != "" && (got == nil || got.Code != code || got.Data["status"] != status):
			t.Errorf("%s: got %+v, want %s (%v)", what, got, code, status)
		}
	}
	check("create OK", a.Create[0].Error, "", 0)
	check("duplicate SKU", a.Create[1].Error, "product_invalid_sku", 400)
	if e := a.Create[1].Error; e != nil && (e.Message != "Invalid or duplicated SKU." || e.Data["resource_id"] != float64(mug)) {
		t.Errorf("duplicate SKU: %+v", e)
	}
	check("create with an id", a.Create[2].Error, "woocommerce_rest_product_exists", 400)
	// wc_format_decimal empties a malformed price; WooCommerce does not
	// refuse it.
	check("malformed price", a.Create[3].Error, "", 0)
	if a.Create[3].Price != "" {
		t.Errorf("malformed price stored as %q, want empty", a.Create[3].Price)
	}
	check("unknown status", a.Create[4].Error, "rest_invalid_param", 400)
	check("update of an unknown id", a.Update[0].Error, "woocommerce_rest_product_invalid_id", 400)
	check("update", a.Update[1].Error, "", 0)
	check("delete of an unknown id", a.Delete[0].Error, "woocommerce_rest_product_invalid_id", 404)
	if got := s.Stats().ItemErrors["product_invalid_sku"]; got != 1 {
		t.Errorf("ItemErrors[product_invalid_sku] = %d", got)
	}

	// Variations: SKUs are unique across products and variations, and
	// the parent must exist.
	v := batch(t, g, fmt.Sprintf("products/%d/variations/batch", mug), map[string]any{"create": []any{
		map[string]any{"sku": "V1", "regular_price": "1.00"}, map[string]any{"sku": "OK", "regular_price": "1.00"},
	}})
	check("variation", v.Create[0].Error, "", 0)
	check("variation with a product's SKU", v.Create[1].Error, "product_invalid_sku", 400)
	v = batch(t, g, "products/777777/variations/batch", map[string]any{"create": []any{map[string]any{"sku": "V2"}}})
	check("variation of no product", v.Create[0].Error, "woocommerce_rest_product_variation_invalid_parent", 404)
	v = batch(t, g, fmt.Sprintf("products/%d/variations/batch", mug), map[string]any{"update": []any{map[string]any{"id": 424242, "regular_price": "2"}}})
	check("update of an unknown variation", v.Update[0].Error, "woocommerce_rest_product_variation_invalid_id", 400)
}

// OAuth 1.0a as check_oauth_signature and check_oauth_timestamp_and_nonce
// verify it, on plain HTTP.
func TestOAuthSignatures(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	list := func(g *signer) (int, []byte) {
		status, _, b := g.do(t, http.MethodGet, "products", url.Values{"per_page": {"5"}, "sku": {"a b,c"}}, nil)
		return status, b
	}
	if status, b := list(newSigner(s)); status != http.StatusOK {
		t.Fatalf("signed request: %d %s", status, b)
	}
	const authErr = "woocommerce_rest_authentication_error"
	for name, tc := range map[string]struct {
		edit      func(*signer)
		status    int
		code, msg string
	}{
		"HMAC-SHA1":                {edit: func(g *signer) { g.method = "HMAC-SHA1" }, status: 200},
		"params in the header":     {edit: func(g *signer) { g.inHeader = "yes" }, status: 200},
		"wrong secret":             {func(g *signer) { g.secret = "cs_wrong" }, 401, authErr, "Invalid signature - provided signature does not match."},
		"unknown key":              {func(g *signer) { g.key = "ck_unknown" }, 401, authErr, "Consumer key is invalid."},
		"PLAINTEXT":                {func(g *signer) { g.method = "PLAINTEXT" }, 401, authErr, "Invalid signature - signature method is invalid."},
		"timestamp 16 minutes old": {func(g *signer) { g.skew = -16 * time.Minute }, 401, authErr, "Invalid timestamp."},
		"no nonce":                 {func(g *signer) { g.drop = wcapi.OAuthNonce }, 401, "woocommerce_rest_authentication_missing_parameter", "Missing OAuth parameter oauth_nonce"},
	} {
		t.Run(name, func(t *testing.T) {
			g := newSigner(s)
			g.nonce = 1000 * len(name)
			tc.edit(g)
			status, b := list(g)
			if tc.status == http.StatusOK {
				if status != http.StatusOK {
					t.Fatalf("%d %s", status, b)
				}
				return
			}
			wantError(t, status, b, tc.status, tc.code, tc.msg)
		})
	}
	t.Run("replayed nonce", func(t *testing.T) {
		g := newSigner(s)
		g.nonce = 99
		list(g)
		g.nonce = 99
		status, b := list(g)
		wantError(t, status, b, 401, authErr, "Invalid nonce - nonce has already been used.")
	})
	t.Run("no credentials", func(t *testing.T) {
		status, _, b := send(t, http.DefaultClient, http.MethodPost, s.URL+wcapi.APIRoot+"products/batch", nil, map[string]any{})
		wantError(t, status, b, 401, "woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource.")
	})
}

// A vector computed outside Go, the way WooCommerce's PHP does it: every
// name and value rawurlencoded, each pair encoded again, joined by %26.
func TestOAuthVector(t *testing.T) {
	params := map[string]string{
		"per_page": "100", "sku": "a b,c~d", "oauth_consumer_key": "ck_x", "oauth_nonce": "abc",
		"oauth_signature_method": "HMAC-SHA256", "oauth_timestamp": "1700000000",
	}
	const base = "GET&http%3A%2F%2Fshop.example%2Fwp-json%2Fwc%2Fv3%2Fproducts&oauth_consumer_key%3Dck_x%26oauth_nonce%3Dabc%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26per_page%3D100%26sku%3Da%2520b%252Cc~d"
	if got := wcapi.BaseString("get", "http://shop.example/wp-json/wc/v3/products", params); got != base {
		t.Errorf("base string\n got %s\nwant %s", got, base)
	}
	if got := wcapi.Sign("GET", "http://shop.example/wp-json/wc/v3/products", params, "cs_y"); got != "mQQQh7Kiy9fokmMfjXzh/pjF+NPgafoPCU9D7X0lfQ4=" {
		t.Errorf("signature %s", got)
	}
}

// Basic auth counts only on TLS (is_ssl): there it is checked; on plain
// HTTP it is ignored and the request is anonymous.
func TestBasicAuth(t *testing.T) {
	s, srv := sim.ServeTLS(t, sim.Options{})
	c := s.Credentials()
	get := func(client *http.Client, base, user, pass string) (int, http.Header, []byte) {
		h := http.Header{}
		req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
		req.SetBasicAuth(user, pass)
		h.Set("Authorization", req.Header.Get("Authorization"))
		return send(t, client, http.MethodGet, base+wcapi.APIRoot+"products", h, nil)
	}
	if status, _, b := get(srv.Client(), s.URL, c.ConsumerKey, c.ConsumerSecret); status != http.StatusOK {
		t.Fatalf("Basic on TLS: %d %s", status, b)
	}
	status, h, b := get(srv.Client(), s.URL, c.ConsumerKey, "cs_wrong")
	wantError(t, status, b, 401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
	if !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic realm=") {
		t.Errorf("WWW-Authenticate %q", h.Get("WWW-Authenticate"))
	}
	status, _, b = get(srv.Client(), s.URL, "ck_unknown", "cs")
	wantError(t, status, b, 401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
	q := url.Values{"consumer_key": {c.ConsumerKey}, "consumer_secret": {c.ConsumerSecret}}
	if status, _, b := send(t, srv.Client(), http.MethodGet, s.URL+wcapi.APIRoot+"products?"+q.Encode(), nil, nil); status != http.StatusOK {
		t.Fatalf("query credentials on TLS: %d %s", status, b)
	}

	plain := sim.ServeTest(t, sim.Options{})
	status, _, b = get(http.DefaultClient, plain.URL, c.ConsumerKey, c.ConsumerSecret)
	wantError(t, status, b, 401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
}

// A key without write permission reads but cannot write.
func TestKeyPermissions(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Permissions: sim.PermRead})
	g := newSigner(s)
	if status, _, b := g.do(t, http.MethodGet, "products", nil, nil); status != http.StatusOK {
		t.Fatalf("read: %d %s", status, b)
	}
	status, _, b := g.do(t, http.MethodPost, "products/batch", nil, map[string]any{"create": []any{simple("A")}})
	wantError(t, status, b, 401, "woocommerce_rest_authentication_error", "The API key provided does not have write permissions.")
}

// Collections page with page and per_page (1 to 100) and say the total
// in X-WP-Total and X-WP-TotalPages; sku takes a comma-separated list.
func TestPagination(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	g := newSigner(s)
	var items []any
	for i := range 25 {
		items = append(items, simple(fmt.Sprintf("S%02d", i)))
	}
	batch(t, g, "products/batch", map[string]any{"create": items})
	page := func(q url.Values) ([]map[string]any, http.Header) {
		status, h, b := g.do(t, http.MethodGet, "products", q, nil)
		if status != http.StatusOK {
			t.Fatalf("%v: %d %s", q, status, b)
		}
		var out []map[string]any
		json.Unmarshal(b, &out)
		return out, h
	}
	got, h := page(url.Values{"per_page": {"10"}, "page": {"3"}})
	if len(got) != 5 || h.Get("X-WP-Total") != "25" || h.Get("X-WP-TotalPages") != "3" {
		t.Errorf("page 3 of 10: %d items, total %s in %s pages", len(got), h.Get("X-WP-Total"), h.Get("X-WP-TotalPages"))
	}
	if got, _ := page(nil); len(got) != 10 {
		t.Errorf("default page size: %d", len(got))
	}
	if got, _ := page(url.Values{"per_page": {"10"}, "page": {"4"}}); len(got) != 0 {
		t.Errorf("past the last page: %d items", len(got))
	}
	if got, h := page(url.Values{"sku": {"S03,S07,nope"}}); len(got) != 2 || h.Get("X-WP-Total") != "2" {
		t.Errorf("by SKU: %d", len(got))
	}
	for _, bad := range []string{"0", "101", "x"} {
		status, _, b := g.do(t, http.MethodGet, "products", url.Values{"per_page": {bad}}, nil)
		wantError(t, status, b, 400, "rest_invalid_param", "Invalid parameter(s): per_page")
	}
}

// Changes fire signed deliveries: through the API and as the merchant.
func TestWebhooks(t *testing.T) {
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	t.Cleanup(recv.Close)
	s := sim.ServeTest(t, sim.Options{WebhookURL: recv.URL, WebhookSecret: "s3cret"})
	g := newSigner(s)
	a := batch(t, g, "products/batch", map[string]any{"create": []any{simple("HOOK")}})
	id := a.Create[0].ID
	status, _, b := send(t, http.DefaultClient, http.MethodPost, fmt.Sprintf("%s/__sim/merchant/products/%d", s.URL, id), nil, map[string]any{"stock_quantity": 0})
	if status != http.StatusOK {
		t.Fatalf("merchant edit: %d %s", status, b)
	}
	seen := map[string]bool{}
	for _, topic := range []string{"product.created", "product.updated"} {
		r, body := <-got, <-bodies
		mac := hmac.New(sha256.New, []byte("s3cret"))
		mac.Write(body)
		if sig := r.Header.Get(sim.HeaderSignature); sig != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			t.Errorf("%s: signature %q does not match the body", topic, sig)
		}
		if r.Header.Get(sim.HeaderTopic) != topic || r.Header.Get(sim.HeaderResource) != "product" || r.Header.Get(sim.HeaderEvent) != strings.TrimPrefix(topic, "product.") {
			t.Errorf("headers %v, want topic %s", r.Header, topic)
		}
		if r.Header.Get(sim.HeaderSource) != s.URL+"/" || r.Header.Get(sim.HeaderWebhookID) == "" {
			t.Errorf("source %q", r.Header.Get(sim.HeaderSource))
		}
		d := r.Header.Get(sim.HeaderDeliveryID)
		if d == "" || seen[d] {
			t.Errorf("delivery id %q repeated or empty", d)
		}
		seen[d] = true
		var p struct {
			ID          int64  `json:"id"`
			StockStatus string `json:"stock_status"`
		}
		json.Unmarshal(body, &p)
		if p.ID != id {
			t.Errorf("%s: payload of product %d, want %d", topic, p.ID, id)
		}
		if topic == "product.updated" && p.StockStatus != "outofstock" {
			t.Errorf("the merchant's change is not in the payload: %s", body)
		}
	}
	if n := len(s.Deliveries()); n != 2 {
		t.Errorf("%d deliveries recorded", n)
	}
}

// meta_data as WC_Data::update_meta_data keeps it: an entry with a new key
// is added, one with a known key replaced, one with an id changed by id.
// RaceStock lands its stock just before the next batch update of the
// object, which then writes over it.
func TestMetaDataAndRaceStock(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	g := newSigner(s)
	mug := simple("MUG")
	mug["meta_data"] = []any{map[string]any{"key": "a", "value": "1"}}
	id := batch(t, g, "products/batch", map[string]any{"create": []any{mug}}).Create[0].ID
	p, _, _ := s.Product(id)
	if len(p.MetaData) != 1 || p.MetaData[0].Key != "a" || p.MetaData[0].Value != "1" || p.MetaData[0].ID == 0 {
		t.Fatalf("meta_data after create: %+v", p.MetaData)
	}
	first := p.MetaData[0].ID
	if err := s.RaceStock(id, 7); err != nil {
		t.Fatal(err)
	}
	hooks := len(s.Deliveries())
	batch(t, g, "products/batch", map[string]any{"update": []any{map[string]any{"id": id, "name": "Mug", "meta_data": []any{
		map[string]any{"key": "a", "value": "2"}, map[string]any{"key": "b", "value": "x"},
	}}}})
	p, _, _ = s.Product(id)
	if len(p.MetaData) != 2 || p.MetaData[0].ID != first || p.MetaData[0].Value != "2" || p.MetaData[1].Key != "b" {
		t.Errorf("meta_data after an update by key: %+v", p.MetaData)
	}
	if p.StockQuantity == nil || *p.StockQuantity != 7 {
		t.Errorf("stock %v after the race landed before an update that leaves stock alone, want 7", p.StockQuantity)
	}
	if n := len(s.Deliveries()) - hooks; n != 2 {
		t.Errorf("%d webhooks for the race and the update, want 2", n)
	}
	batch(t, g, "products/batch", map[string]any{"update": []any{map[string]any{"id": id, "meta_data": []any{
		map[string]any{"id": first, "key": "c", "value": "3"},
	}}}})
	p, _, _ = s.Product(id)
	if len(p.MetaData) != 2 || p.MetaData[0].Key != "c" || p.MetaData[0].Value != "3" {
		t.Errorf("meta_data after an update by id: %+v", p.MetaData)
	}
	if err := s.RaceStock(424242, 1); err == nil {
		t.Error("a race on no product was accepted")
	}
}
