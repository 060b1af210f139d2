package sim_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/aliexpress/iop"
	"github.com/marketsync/marketsync/plugins/aliexpress/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/httpclient"
	"github.com/marketsync/marketsync/sdk/simkit"
)

type fixture struct {
	sim   *sim.Running
	clock *simkit.FakeClock
}

func start(t *testing.T, o sim.Options) *fixture {
	t.Helper()
	if o.Products == 0 {
		o.Products = 400
	}
	r := sim.ServeTest(t, o)
	return &fixture{sim: r, clock: r.Clock}
}

// client is the plugin's IOP client pointed at the simulator, stamping
// requests with the gateway's clock unless told otherwise.
func (f *fixture) client(t *testing.T, creds sim.Credentials, now func() time.Time) *iop.Client {
	t.Helper()
	// The HTTP client reads Retry-After dates against the gateway's clock.
	hc, err := httpclient.New(httpclient.Options{Timeout: 10 * time.Second, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if now == nil {
		now = f.clock.Now
	}
	c, err := iop.New(iop.Options{Endpoint: f.sim.URL, HTTP: hc, Now: now,
		Credentials: iop.Credentials{AppKey: creds.AppKey, AppSecret: creds.AppSecret, AccessToken: creds.AccessToken}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func productParams(id string) map[string]string {
	return map[string]string{"product_id": id, "ship_to_country": "US", "target_currency": "USD", "target_language": "EN"}
}

// raw posts params exactly as given: query and body are both built here,
// signed (unless sign is set) over their union.
func (f *fixture) raw(t *testing.T, query, body map[string]string) map[string]any {
	t.Helper()
	q, b := url.Values{}, url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	for k, v := range body {
		b.Set(k, v)
	}
	if _, ok := query["sign"]; !ok {
		q.Set("sign", iop.Sign(f.sim.Credentials().AppSecret, "", merge(query, body)))
	}
	req, _ := http.NewRequest(http.MethodPost, f.sim.URL+"/sync?"+q.Encode(), strings.NewReader(b.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	return f.do(t, req)
}

// merge is the union of the parameters of query and body, what the
// signature covers.
func merge(query, body map[string]string) map[string]string {
	all := map[string]string{}
	for _, m := range []map[string]string{query, body} {
		for k, v := range m {
			all[k] = v
		}
	}
	return all
}

func (f *fixture) do(t *testing.T, req *http.Request) map[string]any {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("answer %s is not JSON: %v", data, err)
	}
	return out
}

func (f *fixture) common(method string) map[string]string {
	c := f.sim.Credentials()
	return map[string]string{
		"app_key": c.AppKey, "method": method, "session": c.AccessToken, "sign_method": "sha256",
		"timestamp": strconv.FormatInt(f.clock.Now().UnixMilli(), 10), "format": "json", "v": "2.0",
	}
}

func errorCode(t *testing.T, answer map[string]any) string {
	t.Helper()
	e, ok := answer["error_response"].(map[string]any)
	if !ok {
		t.Fatalf("answer is not an error: %v", answer)
	}
	if e["type"] == "" || e["request_id"] == "" || e["msg"] == "" {
		t.Errorf("error envelope lacks type, msg or request_id: %v", e)
	}
	return e["code"].(string)
}

func wantError(t *testing.T, err error, kind sdk.ErrorKind, code string) *sdk.Error {
	t.Helper()
	e, ok := sdk.AsError(err)
	if !ok || e.Kind != kind || (code != "" && e.Code != code) {
		t.Fatalf("got %v, want %s %s", err, kind, code)
	}
	return e
}

func TestAcceptsAProperlySignedRequest(t *testing.T) {
	f := start(t, sim.Options{})
	id := f.sim.ListedIDs()[0]
	raw, err := f.client(t, f.sim.Credentials(), nil).Call(context.Background(), sim.MethodProductGet, productParams(id))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		RspCode int `json:"rsp_code"`
		Result  struct {
			Base struct {
				ProductID int64 `json:"product_id"`
			} `json:"ae_item_base_info_dto"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.RspCode != 200 || strconv.FormatInt(body.Result.Base.ProductID, 10) != id {
		t.Errorf("answer %s", raw)
	}
	if got := f.sim.Stats().Calls[sim.MethodProductGet]; got != 1 {
		t.Errorf("%d calls counted", got)
	}
}

func TestRejectsWhatBreaksTheContract(t *testing.T) {
	f := start(t, sim.Options{})
	id := f.sim.ListedIDs()[0]
	good := f.sim.Credentials()
	ctx := context.Background()

	for name, tc := range map[string]struct {
		change func(*sim.Credentials)
		kind   sdk.ErrorKind
		code   string
	}{
		"wrong secret":  {func(c *sim.Credentials) { c.AppSecret = "not-the-secret" }, sdk.KindAuth, "IncompleteSignature"},
		"wrong token":   {func(c *sim.Credentials) { c.AccessToken = "expired-token" }, sdk.KindAuth, "IllegalAccessToken"},
		"wrong app key": {func(c *sim.Credentials) { c.AppKey = "123" }, sdk.KindAuth, "InvalidAppKey"},
	} {
		t.Run(name, func(t *testing.T) {
			bad := good
			tc.change(&bad)
			_, err := f.client(t, bad, nil).Call(ctx, sim.MethodProductGet, productParams(id))
			wantError(t, err, tc.kind, tc.code)
		})
	}
	t.Run("body changed after signing", func(t *testing.T) {
		q := f.common(sim.MethodProductGet)
		body := productParams(id)
		q["sign"] = iop.Sign(good.AppSecret, "", merge(q, body))
		body["product_id"] = f.sim.ListedIDs()[1]
		if code := errorCode(t, f.raw(t, q, body)); code != "IncompleteSignature" {
			t.Errorf("code %s", code)
		}
	})
	t.Run("path-style signature on /sync", func(t *testing.T) {
		q := f.common(sim.MethodProductGet)
		q["sign"] = iop.Sign(good.AppSecret, "/"+sim.MethodProductGet, merge(q, productParams(id)))
		if code := errorCode(t, f.raw(t, q, productParams(id))); code != "IncompleteSignature" {
			t.Errorf("code %s", code)
		}
	})
	t.Run("stale timestamp", func(t *testing.T) {
		stale := func() time.Time { return f.clock.Now().Add(-2*time.Hour - time.Second) }
		_, err := f.client(t, good, stale).Call(ctx, sim.MethodProductGet, productParams(id))
		wantError(t, err, sdk.KindInvalid, "InvalidTimestamp")
	})
	t.Run("timestamp from the future", func(t *testing.T) {
		ahead := func() time.Time { return f.clock.Now().Add(3 * time.Hour) }
		_, err := f.client(t, good, ahead).Call(ctx, sim.MethodProductGet, productParams(id))
		wantError(t, err, sdk.KindInvalid, "InvalidTimestamp")
	})
	t.Run("skew inside the window", func(t *testing.T) {
		near := func() time.Time { return f.clock.Now().Add(-119 * time.Minute) }
		if _, err := f.client(t, good, near).Call(ctx, sim.MethodProductGet, productParams(id)); err != nil {
			t.Errorf("119 minutes of skew refused: %v", err)
		}
	})
	t.Run("UTC timestamp form", func(t *testing.T) {
		q := f.common(sim.MethodProductGet)
		q["timestamp"] = f.clock.Now().UTC().Format("2006-01-02T15:04:05Z")
		if _, ok := f.raw(t, q, productParams(id))["aliexpress_ds_product_get_response"]; !ok {
			t.Error("the documented UTC form was refused")
		}
	})
	for _, name := range []string{"ship_to_country", "product_id"} {
		t.Run("missing "+name, func(t *testing.T) {
			p := productParams(id)
			delete(p, name)
			_, err := f.client(t, good, nil).Call(ctx, sim.MethodProductGet, p)
			e := wantError(t, err, sdk.KindInvalid, "MissingParameter")
			if !strings.Contains(e.Message, name) {
				t.Errorf("message %q does not name %s", e.Message, name)
			}
		})
	}
	for _, name := range []string{"app_key", "timestamp", "sign_method", "session", "method"} {
		t.Run("missing system "+name, func(t *testing.T) {
			q := f.common(sim.MethodProductGet)
			delete(q, name)
			if code := errorCode(t, f.raw(t, q, productParams(id))); code != "MissingParameter" {
				t.Errorf("code %s", code)
			}
		})
	}
	t.Run("missing sign", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, f.sim.URL+"/sync?method="+sim.MethodProductGet+"&app_key="+good.AppKey, nil)
		if code := errorCode(t, f.do(t, req)); code != "MissingParameter" {
			t.Errorf("code %s", code)
		}
	})
	t.Run("unknown parameter", func(t *testing.T) {
		p := productParams(id)
		p["colour"] = "red"
		_, err := f.client(t, good, nil).Call(ctx, sim.MethodProductGet, p)
		wantError(t, err, sdk.KindInvalid, "InvalidParameter")
	})
	t.Run("empty parameter", func(t *testing.T) {
		body := productParams(id)
		body["target_language"] = ""
		if code := errorCode(t, f.raw(t, f.common(sim.MethodProductGet), body)); code != "InvalidParameter" {
			t.Errorf("code %s", code)
		}
	})
	t.Run("empty parameter signed the Python way", func(t *testing.T) {
		// sign() in the Python SDK hashes the bare name of an empty
		// parameter; the gateway, like the Java SDK, leaves it out, so the
		// signatures differ.
		q := f.common(sim.MethodProductGet)
		body := productParams(id)
		body["target_language"] = ""
		all := merge(q, body)
		all["target_language"] = "placeholder"
		str := strings.Replace(iop.StringToSign("", all), "target_languageplaceholder", "target_language", 1)
		q["sign"] = hmacHex(good.AppSecret, str)
		if code := errorCode(t, f.raw(t, q, body)); code != "IncompleteSignature" {
			t.Errorf("code %s", code)
		}
	})
	t.Run("same name twice with different values", func(t *testing.T) {
		q := f.common(sim.MethodProductGet)
		body := productParams(id)
		body["method"] = "aliexpress.ds.text.search"
		if code := errorCode(t, f.raw(t, q, body)); code != "InvalidParameter" {
			t.Errorf("code %s", code)
		}
	})
	t.Run("same name twice with the same value", func(t *testing.T) {
		// The Java SDK puts method both in its URL and among the common
		// parameters.
		q := f.common(sim.MethodProductGet)
		body := productParams(id)
		body["method"] = sim.MethodProductGet
		if _, ok := f.raw(t, q, body)["aliexpress_ds_product_get_response"]; !ok {
			t.Error("refused")
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		_, err := f.client(t, good, nil).Call(ctx, "aliexpress.ds.nothing.get", nil)
		wantError(t, err, sdk.KindInvalid, "InvalidApiPath")
	})
	t.Run("several ids in one call", func(t *testing.T) {
		p := productParams(id + "," + f.sim.ListedIDs()[1])
		_, err := f.client(t, good, nil).Call(ctx, sim.MethodProductGet, p)
		wantError(t, err, sdk.KindInvalid, "InvalidParameter")
	})
	t.Run("page of 100", func(t *testing.T) {
		q := `{"current_page":1,"page_size":100,"product_status_type":"onSelling"}`
		_, err := f.client(t, good, nil).Call(ctx, sim.MethodProductList, map[string]string{"aeop_a_e_product_list_query": q})
		e := wantError(t, err, sdk.KindInvalid, "InvalidParameter")
		if !strings.Contains(e.Message, "page_size") {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("unknown query field", func(t *testing.T) {
		q := `{"product_status_type":"onSelling","sort":"price"}`
		_, err := f.client(t, good, nil).Call(ctx, sim.MethodProductList, map[string]string{"aeop_a_e_product_list_query": q})
		wantError(t, err, sdk.KindInvalid, "InvalidParameter")
	})
	t.Run("form body of another type", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, f.sim.URL+"/sync?method=x", strings.NewReader(`{"a":1}`))
		req.Header.Set("Content-Type", "application/json")
		if code := errorCode(t, f.do(t, req)); code != "InvalidParameter" {
			t.Errorf("code %s", code)
		}
	})
	if n := f.sim.Stats().Errors["IncompleteSignature"]; n < 3 {
		t.Errorf("%d IncompleteSignature answers counted", n)
	}
}

func TestRestPathIsInTheSignature(t *testing.T) {
	f := start(t, sim.Options{})
	good := f.sim.Credentials()
	_, err := f.client(t, good, nil).CallPath(context.Background(), "/auth/token/refresh", map[string]string{"refresh_token": "x"})
	// Signed right, the request gets as far as the path, which is not
	// simulated.
	wantError(t, err, sdk.KindInvalid, "InvalidApiPath")
	bad := good
	bad.AppSecret = "wrong"
	_, err = f.client(t, bad, nil).CallPath(context.Background(), "/auth/token/refresh", map[string]string{"refresh_token": "x"})
	wantError(t, err, sdk.KindAuth, "IncompleteSignature")
}

func TestRateLimitPerApp(t *testing.T) {
	f := start(t, sim.Options{Rate: 2, Burst: 3})
	c := f.client(t, f.sim.Credentials(), nil)
	ctx := context.Background()
	id := f.sim.ListedIDs()[0]
	for i := range 3 {
		if _, err := c.Call(ctx, sim.MethodProductGet, productParams(id)); err != nil {
			t.Fatalf("call %d of the burst: %v", i+1, err)
		}
	}
	_, err := c.Call(ctx, sim.MethodProductGet, productParams(id))
	e := wantError(t, err, sdk.KindRateLimited, "ApiCallLimit")
	if e.RetryAfter != time.Second || !strings.Contains(e.Message, "this ban will last 1 seconds") {
		t.Errorf("retry after %s, message %q", e.RetryAfter, e.Message)
	}
	f.clock.Advance(500 * time.Millisecond) // one call's worth at 2/s
	if _, err := c.Call(ctx, sim.MethodProductGet, productParams(id)); err != nil {
		t.Errorf("after the interval: %v", err)
	}
	_, err = c.Call(ctx, sim.MethodProductGet, productParams(id))
	wantError(t, err, sdk.KindRateLimited, "ApiCallLimit")

	f.sim.SetRateLimit(0.1, 1) // one call per ten seconds
	f.clock.Advance(time.Hour)
	if _, err := c.Call(ctx, sim.MethodProductGet, productParams(id)); err != nil {
		t.Fatal(err)
	}
	_, err = c.Call(ctx, sim.MethodProductGet, productParams(id))
	if e := wantError(t, err, sdk.KindRateLimited, "ApiCallLimit"); e.RetryAfter != 10*time.Second {
		t.Errorf("retry after %s, want 10s", e.RetryAfter)
	}
	f.sim.SetRateLimit(0, 0)
	for range 20 {
		if _, err := c.Call(ctx, sim.MethodProductGet, productParams(id)); err != nil {
			t.Fatalf("limit lifted, still %v", err)
		}
	}
	if n := f.sim.Stats().Errors["ApiCallLimit"]; n != 3 {
		t.Errorf("%d ApiCallLimit answers counted, want 3", n)
	}
}

// Rejected calls do not spend the app's quota: the gateway authenticates
// before it counts.
func TestRejectedCallsDoNotSpendQuota(t *testing.T) {
	f := start(t, sim.Options{Rate: 1, Burst: 1})
	bad := f.sim.Credentials()
	bad.AppSecret = "wrong"
	for range 5 {
		f.client(t, bad, nil).Call(context.Background(), sim.MethodProductGet, productParams(f.sim.ListedIDs()[0]))
	}
	if _, err := f.client(t, f.sim.Credentials(), nil).Call(context.Background(), sim.MethodProductGet, productParams(f.sim.ListedIDs()[0])); err != nil {
		t.Error(err)
	}
}

type listPage struct {
	Result struct {
		CurrentPage  int64 `json:"current_page"`
		TotalPage    int64 `json:"total_page"`
		ProductCount int64 `json:"product_count"`
		Success      bool  `json:"success"`
		List         struct {
			Items []struct {
				ProductID     int64  `json:"product_id"`
				OwnerMemberID string `json:"owner_member_id"`
			} `json:"item_display_dto"`
		} `json:"aeop_a_e_product_display_d_t_o_list"`
	} `json:"result"`
}

func TestListPaginatesTheStore(t *testing.T) {
	f := start(t, sim.Options{Products: 333})
	c := f.client(t, f.sim.Credentials(), nil)
	var seen []string
	var pages int64
	for page := int64(1); ; page++ {
		q, _ := json.Marshal(map[string]any{"current_page": page, "page_size": 40, "product_status_type": "onSelling", "owner_member_id": f.sim.ShopID()})
		raw, err := c.Call(context.Background(), sim.MethodProductList, map[string]string{"aeop_a_e_product_list_query": string(q)})
		if err != nil {
			t.Fatal(err)
		}
		var p listPage
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		if !p.Result.Success || p.Result.CurrentPage != page {
			t.Fatalf("page %d: %s", page, raw)
		}
		pages = p.Result.TotalPage
		if len(p.Result.List.Items) > 40 {
			t.Fatalf("page of %d", len(p.Result.List.Items))
		}
		for _, it := range p.Result.List.Items {
			seen = append(seen, strconv.FormatInt(it.ProductID, 10))
			if it.OwnerMemberID != f.sim.ShopID() {
				t.Errorf("item of owner %s", it.OwnerMemberID)
			}
		}
		if page >= p.Result.TotalPage {
			if p.Result.ProductCount != int64(len(seen)) {
				t.Errorf("product_count %d, listed %d", p.Result.ProductCount, len(seen))
			}
			break
		}
	}
	want := f.sim.ListedIDs()
	if !slices.Equal(seen, want) {
		t.Errorf("listed %d ids over %d pages, want the %d on-sale ones in order", len(seen), pages, len(want))
	}
	if int64(len(want)+39)/40 != pages {
		t.Errorf("%d pages for %d products", pages, len(want))
	}

	// Past the last page and under another owner: an empty page, no list.
	for _, q := range []string{
		`{"current_page":99,"page_size":40,"product_status_type":"onSelling"}`,
		`{"product_status_type":"onSelling","owner_member_id":"someone-else"}`,
	} {
		raw, err := c.Call(context.Background(), sim.MethodProductList, map[string]string{"aeop_a_e_product_list_query": q})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "item_display_dto") {
			t.Errorf("%s: %s", q, raw)
		}
	}
}

// Fault injection sits in front of the gateway and reaches the plugin's
// client as the SDK's typed errors.
func TestFaultsReachTheClientTyped(t *testing.T) {
	f := start(t, sim.Options{})
	c := f.client(t, f.sim.Credentials(), nil)
	id := f.sim.ListedIDs()[0]
	for name, tc := range map[string]struct {
		fault faultinject.Fault
		kind  sdk.ErrorKind
		code  string
		after time.Duration
	}{
		"429 seconds":           {faultinject.TooManyRequests(5 * time.Second), sdk.KindRateLimited, "http_429", 5 * time.Second},
		"429 date":              {faultinject.TooManyRequestsUntil(30 * time.Second), sdk.KindRateLimited, "http_429", 0},
		"503":                   {faultinject.Status(http.StatusServiceUnavailable, []byte("<html>busy</html>")), sdk.KindUnavailable, "http_503", 0},
		"502":                   {faultinject.Status(http.StatusBadGateway, nil), sdk.KindUnavailable, "http_502", 0},
		"reset":                 {faultinject.Reset(), sdk.KindUnavailable, httpclient.CodeConnection, 0},
		"truncated":             {faultinject.Truncated(), sdk.KindUnavailable, iop.CodeMalformed, 0},
		"garbage":               {faultinject.Garbage(64), sdk.KindUnavailable, iop.CodeMalformed, 0},
		"ban inside a 200 body": {faultinject.ErrorBody(banBody), sdk.KindRateLimited, "ApiCallLimit", 7 * time.Second},
		"ISP error":             {faultinject.ErrorBody(ispBody), sdk.KindUnavailable, "ServiceBusy", 0},
	} {
		t.Run(name, func(t *testing.T) {
			f.sim.Injector().Clear()
			if err := f.sim.Injector().Add(faultinject.Rule{Fault: tc.fault, When: faultinject.Next(1), Match: faultinject.Param("method", sim.MethodProductGet)}); err != nil {
				t.Fatal(err)
			}
			_, err := c.Call(context.Background(), sim.MethodProductGet, productParams(id))
			e := wantError(t, err, tc.kind, tc.code)
			if tc.after > 0 && e.RetryAfter != tc.after {
				t.Errorf("retry after %s, want %s", e.RetryAfter, tc.after)
			}
			if name == "429 date" && (e.RetryAfter < 29*time.Second || e.RetryAfter > 31*time.Second) {
				t.Errorf("retry after %s from an HTTP date 30s ahead", e.RetryAfter)
			}
			// The fault was one request; the next one is answered.
			if _, err := c.Call(context.Background(), sim.MethodProductGet, productParams(id)); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
	if s := f.sim.Injector().Stats(); s.Injected != 9 {
		t.Errorf("%d faults injected, want 9", s.Injected)
	}
}

func banBody(*http.Request) []byte {
	return []byte(`{"error_response":{"type":"ISV","code":"ApiCallLimit","msg":"Api access frequency exceeds the limit. this ban will last 7 seconds","request_id":"x"}}`)
}

func ispBody(*http.Request) []byte {
	return []byte(`{"error_response":{"type":"ISP","code":"ServiceBusy","msg":"The service is busy","request_id":"x"}}`)
}

func TestCatalogueIsDeterministicAndVaried(t *testing.T) {
	products := 3000
	if testing.Short() {
		products = 1000
	}
	a := sim.New(sim.Options{Seed: 7, Products: products})
	b := sim.New(sim.Options{Seed: 7, Products: products})
	other := sim.New(sim.Options{Seed: 8, Products: products})
	if !slices.Equal(a.IDs(), b.IDs()) || len(a.IDs()) != products {
		t.Fatal("same seed, different ids")
	}
	var noOptions, oneAxis, twoAxes, noImages, offShelf, deleted, shipTo, noSKUs, differs int
	for i, id := range a.IDs() {
		ea, eb := a.Expect(id), b.Expect(id)
		if ea.Title != eb.Title || len(ea.Variants) != len(eb.Variants) || ea.NotFound != eb.NotFound {
			t.Fatalf("product %s differs between two catalogues of one seed", id)
		}
		if eo := other.Expect(other.IDs()[i]); eo.Title != ea.Title {
			differs++
		}
		switch ea.Reason {
		case "offline":
			offShelf++
		case "deleted":
			deleted++
		case "ship_to":
			shipTo++
		}
		if ea.Invalid != "" {
			noSKUs++
		}
		if ea.NotFound || ea.Invalid != "" {
			continue
		}
		switch len(ea.Variants[0].Options) {
		case 0:
			noOptions++
			if len(ea.Variants) != 1 || ea.Variants[0].SKU != id {
				t.Errorf("product %s without options: %+v", id, ea.Variants)
			}
		case 1:
			oneAxis++
		case 2:
			twoAxes++
		}
		if ea.Images == 0 {
			noImages++
		}
		if ru := a.ExpectIn(id, "US", "RUB", "RU"); ru.Locale != "ru" || ru.Title == ea.Title {
			t.Errorf("product %s: Russian title %q", id, ru.Title)
		}
	}
	for name, n := range map[string]int{"without options": noOptions, "one axis": oneAxis, "two axes": twoAxes,
		"without images": noImages, "off-shelf": offShelf, "deleted": deleted, "not shippable to the US": shipTo, "without SKUs": noSKUs} {
		if n < products/150 {
			t.Errorf("only %d products %s in %d", n, name, products)
		}
	}
	if differs < products*2/3 {
		t.Errorf("only %d of %d titles change with the seed", differs, products)
	}
}

// The answers hold the shapes real ones do, counted on the wire: lists as
// wrapper objects and as bare arrays, numbers bare and quoted, SKUs named
// by sku_attr and id, by sku_attr alone and by id alone, products without
// a status, without SKUs and without pictures, a picture listed twice,
// the seller's value names, gmt_modified, and non-ASCII text both escaped
// as \uXXXX and written out.
func TestAnswersHoldTheRealShapes(t *testing.T) {
	f := start(t, sim.Options{Seed: 3, Products: 300})
	c := f.client(t, f.sim.Credentials(), nil)
	counts := map[string]int{}
	for _, id := range f.sim.IDs() {
		params := productParams(id)
		params["target_language"] = "RU"
		raw, err := c.Call(context.Background(), sim.MethodProductGet, params)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), `\u04`) {
			counts["escaped"]++
		} else if strings.ContainsFunc(string(raw), func(r rune) bool { return r >= 0x400 && r <= 0x4ff }) {
			counts["plain"]++
		}
		var body struct {
			Result map[string]json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		res := body.Result
		if res == nil {
			continue // 605 or 482
		}
		var base map[string]json.RawMessage
		json.Unmarshal(res["ae_item_base_info_dto"], &base)
		for key, shape := range map[string]string{"product_status_type": "no status", "gmt_modified": "no gmt_modified"} {
			if _, ok := base[key]; !ok {
				counts[shape]++
			}
		}
		if base["product_id"][0] == '"' {
			counts["quoted"]++
		} else {
			counts["bare"]++
		}
		skus, ok := res["ae_item_sku_info_dtos"]
		switch {
		case !ok:
			counts["no SKUs"]++
		case skus[0] == '[':
			counts["bare array"]++
		default:
			counts["wrapper object"]++
		}
		s := string(skus)
		switch hasAttr, hasID := strings.Contains(s, `"sku_attr"`), strings.Contains(s, `"id"`); {
		case hasAttr && hasID:
			counts["sku_attr and id"]++
		case hasAttr:
			counts["sku_attr only"]++
		case hasID:
			counts["id only"]++
		}
		if strings.Contains(s, `"property_value_definition_name"`) {
			counts["seller's value names"]++
		}
		var media struct {
			URLs string `json:"image_urls"`
		}
		json.Unmarshal(res["ae_multimedia_info_dto"], &media)
		if media.URLs == "" {
			counts["no images"]++
		}
		seen := map[string]bool{}
		for _, u := range strings.Split(media.URLs, ";") {
			key := strings.ToLower(strings.TrimPrefix(u, "https:"))
			if seen[key] {
				counts["repeated image"]++
			}
			seen[key] = true
		}
	}
	for _, k := range []string{"escaped", "plain", "no status", "quoted", "bare", "no SKUs", "bare array", "wrapper object",
		"sku_attr and id", "sku_attr only", "id only", "seller's value names", "no images", "repeated image"} {
		if counts[k] == 0 {
			t.Errorf("no answer shows %q: %v", k, counts)
		}
	}
	if counts["no gmt_modified"] > 0 {
		t.Errorf("%d answers without gmt_modified", counts["no gmt_modified"])
	}
}

func hmacHex(secret, s string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(s))
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}

func TestThrottleVariants(t *testing.T) {
	for th, want := range map[simkit.Throttle]struct {
		wait time.Duration
		ban  bool
	}{
		simkit.ThrottleDefault:    {time.Second, true},
		simkit.ThrottleRetryAfter: {time.Second, false},
		simkit.ThrottleNoHint:     {0, false},
	} {
		f := start(t, sim.Options{Rate: 5, Burst: 1, Throttle: th})
		c := f.client(t, f.sim.Credentials(), nil)
		id := f.sim.ListedIDs()[0]
		if _, err := c.Call(context.Background(), sim.MethodProductGet, productParams(id)); err != nil {
			t.Fatal(err)
		}
		_, err := c.Call(context.Background(), sim.MethodProductGet, productParams(id))
		e := wantError(t, err, sdk.KindRateLimited, "ApiCallLimit")
		if e.RetryAfter != want.wait || strings.Contains(e.Message, "ban will last") != want.ban {
			t.Errorf("%s: retry after %s, message %q", th, e.RetryAfter, e.Message)
		}
		if got := f.sim.LimitCounts(); got != (simkit.Counts{Taken: 1, Refused: 1}) {
			t.Errorf("%s: limit counts %+v, want one taken, one refused", th, got)
		}
	}
}
