package sim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/alibaba1688/aop"
	"github.com/marketsync/marketsync/plugins/alibaba1688/sim"
	"github.com/marketsync/marketsync/sdk/simkit"
)

const (
	productInfoPath = "param2/1/com.alibaba.product/alibaba.cross.productInfo/"
	shopOffersPath  = "param2/1/com.alibaba.fenxiao.crossborder/product.search.querySellerOfferList/"
)

type fixture struct {
	sim   *sim.Server
	srv   *httptest.Server
	clock *simkit.FakeClock
	creds sim.Credentials
}

func newFixture(t *testing.T, o sim.Options) *fixture {
	t.Helper()
	c := simkit.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	o.Now = c.Now
	s := sim.New(o)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &fixture{sim: s, srv: srv, clock: c, creds: s.Credentials()}
}

// request is a call the test builds by hand, so it can get any part of
// it wrong.
type request struct {
	path   string // urlPath, app key included
	params []aop.Param
	// sign: false leaves _aop_signature out; signWith overrides the secret.
	noSign   bool
	signWith string
	tamper   func(body string) string
}

// valid returns a correctly signed request for path (without the app key)
// with the usual system parameters and the given business parameters.
func (f *fixture) valid(path string, business ...aop.Param) request {
	params := append([]aop.Param{}, business...)
	params = append(params,
		aop.Param{Key: "access_token", Value: f.creds.AccessToken},
		aop.Param{Key: "_aop_timestamp", Value: strconv.FormatInt(f.clock.Now().UnixMilli(), 10)},
	)
	return request{path: path + f.creds.AppKey, params: params}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (f *fixture) do(t *testing.T, r request) reply {
	t.Helper()
	params := r.params
	if !r.noSign {
		secret := f.creds.AppSecret
		if r.signWith != "" {
			secret = r.signWith
		}
		params = append(params, aop.Param{Key: "_aop_signature", Value: aop.Sign(secret, r.path, params)})
	}
	body := aop.EncodeForm(params)
	if r.tamper != nil {
		body = r.tamper(body)
	}
	resp, err := http.Post(f.srv.URL+"/openapi/"+r.path, "application/x-www-form-urlencoded; charset=UTF-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&out.body); err != nil {
		t.Fatalf("reply is not JSON: %s", b)
	}
	return out
}

func (r reply) code() string { s, _ := r.body["error_code"].(string); return s }

func (f *fixture) someID(t *testing.T, want sim.Outcome) string {
	t.Helper()
	ids := f.sim.IDsWith(want)
	if len(ids) == 0 {
		t.Fatalf("no offer is %s", want)
	}
	return ids[0]
}

func TestValidCallIsServed(t *testing.T) {
	f := newFixture(t, sim.Options{})
	id := f.someID(t, sim.Found)
	r := f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}))
	if r.status != 200 || r.body["success"] != true {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
	info := r.body["productInfo"].(map[string]any)
	if info["subject"] != f.sim.Expect(id).Title {
		t.Errorf("subject %v, want %s", info["subject"], f.sim.Expect(id).Title)
	}
	if got := f.sim.Stats().Served[sim.APIProductInfo]; got != 1 {
		t.Errorf("served counter %d", got)
	}
}

// The simulator checks the signature over the parameters as sent: any
// order of the form fields, any legal escaping, is the same request.
func TestSignatureOverTheBytesSent(t *testing.T) {
	f := newFixture(t, sim.Options{})
	id := f.someID(t, sim.Found)
	req := f.valid(productInfoPath, aop.Param{Key: "productId", Value: id})
	req.tamper = func(body string) string {
		parts := strings.Split(body, "&")
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
		return strings.Join(parts, "&")
	}
	if r := f.do(t, req); r.status != 200 {
		t.Errorf("reordered form: %d %s", r.status, r.raw)
	}
	// A JSON value with spaces and Chinese, percent-encoded with %20
	// instead of '+': the same bytes once unescaped.
	q := `{"beginPage":1,"pageSize":5,"country":"en","sellerOpenId":"` + f.sim.ShopID() + `","keyword":"连衣裙 女"}`
	req = f.valid(shopOffersPath, aop.Param{Key: "offerQueryParam", Value: q})
	req.tamper = func(body string) string { return strings.ReplaceAll(body, "+", "%20") }
	if r := f.do(t, req); r.status != 200 {
		t.Errorf("%%20 escaping: %d %s", r.status, r.raw)
	}
}

func TestRefusals(t *testing.T) {
	f := newFixture(t, sim.Options{})
	id := f.someID(t, sim.Found)
	good := func() request { return f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}) }
	for name, tc := range map[string]struct {
		req    func() request
		status int
		code   string
	}{
		"wrong signature": {func() request { r := good(); r.signWith = "not-the-secret"; return r }, 400, "gw.SignatureInvalid"},
		"value changed after signing": {func() request {
			r := good()
			r.tamper = func(b string) string { return strings.Replace(b, "productId="+id, "productId="+id[:len(id)-1]+"9", 1) }
			return r
		}, 400, "gw.SignatureInvalid"},
		"no signature": {func() request { r := good(); r.noSign = true; return r }, 400, "gw.SignatureMissing"},
		"stale timestamp": {func() request {
			r := good()
			r.params[len(r.params)-1].Value = strconv.FormatInt(f.clock.Now().Add(-11*time.Minute).UnixMilli(), 10)
			return r
		}, 400, "gw.TimestampInvalid"},
		"timestamp in seconds": {func() request {
			r := good()
			r.params[len(r.params)-1].Value = strconv.FormatInt(f.clock.Now().Unix(), 10)
			return r
		}, 400, "gw.TimestampInvalid"},
		"missing parameter": {func() request { return f.valid(productInfoPath) }, 400, "gw.ParamMissing"},
		"empty parameter":   {func() request { return f.valid(productInfoPath, aop.Param{Key: "productId", Value: ""}) }, 400, "gw.ParamMissing"},
		"unknown parameter": {func() request {
			return f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}, aop.Param{Key: "webSite", Value: "1688"})
		}, 400, "gw.ParamInvalid"},
		"duplicate parameter": {func() request {
			r := good()
			r.tamper = func(b string) string { return b + "&productId=" + id }
			return r
		}, 400, "gw.ParamInvalid"},
		"oversized batch": {func() request {
			return f.valid(productInfoPath, aop.Param{Key: "productId", Value: id + "," + id})
		}, 400, "gw.ParamInvalid"},
		"no token": {func() request {
			r := good()
			r.params = append(r.params[:1:1], r.params[2:]...)
			return r
		}, 401, "401"},
		"wrong token": {func() request {
			r := good()
			r.params[1].Value = "00000000-0000-0000-0000-000000000000"
			return r
		}, 401, "401"},
		"unknown app key": {func() request {
			r := good()
			r.path = productInfoPath + "1234"
			return r
		}, 400, "gw.AppKeyNotFound"},
		"no app key": {func() request {
			r := good()
			r.path = strings.TrimSuffix(productInfoPath, "/")
			return r
		}, 400, "gw.AppKeyMissing"},
		"unknown API": {func() request {
			r := good()
			r.path = "param2/1/com.alibaba.product/alibaba.product.nope/" + f.creds.AppKey
			return r
		}, 400, "gw.APIUnsupported"},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.do(t, tc.req())
			if r.status != tc.status || r.code() != tc.code || r.body["error_message"] == "" || r.body["request_id"] == "" {
				t.Errorf("got %d %s, want %d %s with a message and request_id", r.status, r.raw, tc.status, tc.code)
			}
		})
	}
	if refused := f.sim.Stats().Refused["gw.SignatureInvalid"]; refused != 2 {
		t.Errorf("refusal counter for gw.SignatureInvalid is %d, want 2", refused)
	}
}

func TestTokenMessages(t *testing.T) {
	f := newFixture(t, sim.Options{})
	r := f.valid(productInfoPath, aop.Param{Key: "productId", Value: "600000000000"})
	r.params[1].Value = "wrong"
	if got := f.do(t, r).body["error_message"]; got != "Request need user authorized" {
		t.Errorf("wrong token message %v", got)
	}
	r.params[1].Value = ""
	if got := f.do(t, r).body["error_message"]; got != "Request need user authenticated" {
		t.Errorf("empty token message %v", got)
	}
}

func TestBusinessAnswers(t *testing.T) {
	f := newFixture(t, sim.Options{})
	for outcome, want := range map[sim.Outcome]string{sim.NotFound: "不存在", sim.Refused: "没有该商品的查询权限"} {
		id := ""
		for _, cand := range f.sim.IDs() {
			if e := f.sim.Expect(cand); e.Outcome == outcome {
				r := f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: cand}))
				if r.body["success"] == false {
					id = cand
					if msg, _ := r.body["message"].(string); r.status != 200 || !strings.Contains(msg, want) {
						t.Errorf("%s: %d %s", cand, r.status, r.raw)
					}
					break
				}
			}
		}
		if outcome == sim.Refused && id == "" {
			t.Errorf("no offer answered %s", want)
		}
	}
	// An id no offer has.
	r := f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: "999999999999"}))
	if r.body["success"] != false || r.body["message"] != "商品[999999999999]不存在" {
		t.Errorf("unknown id: %s", r.raw)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.SetRateLimit(1, 2)
	id := f.someID(t, sim.Found)
	call := func() reply { return f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: id})) }
	for i := range 2 {
		if r := call(); r.status != 200 {
			t.Fatalf("call %d within the burst: %d %s", i+1, r.status, r.raw)
		}
	}
	r := call()
	if r.status != 400 || r.code() != "gw.QosAppFrequencyLimit" || r.body["error_message"] != "App call exceeds limited frequency" || r.header.Get("Retry-After") != "1" {
		t.Fatalf("over the quota: %d %v %s", r.status, r.header, r.raw)
	}
	f.clock.Advance(time.Second)
	if r := call(); r.status != 200 {
		t.Errorf("after a second: %d %s", r.status, r.raw)
	}
	if r := call(); r.code() != "gw.QosAppFrequencyLimit" {
		t.Errorf("the refilled token was spent: %s", r.raw)
	}
	f.sim.SetRateLimit(0, 0)
	if r := call(); r.status != 200 {
		t.Errorf("limit removed: %s", r.raw)
	}
}

func TestQuotaOfNothing(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.SetRateLimit(0.5, 0)
	id := f.someID(t, sim.Found)
	for range 3 {
		r := f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}))
		if r.code() != "gw.QosAppFrequencyLimit" || r.header.Get("Retry-After") != "2" {
			t.Fatalf("burst 0: %v %s", r.header, r.raw)
		}
		f.clock.Advance(time.Minute)
	}
}

func TestRateLimitWithoutRetryAfter(t *testing.T) {
	f := newFixture(t, sim.Options{Rate: 1, Burst: 1, NoRetryAfter: true})
	id := f.someID(t, sim.Found)
	f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}))
	r := f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}))
	if r.code() != "gw.QosAppFrequencyLimit" || r.header.Get("Retry-After") != "" {
		t.Errorf("got %v %s", r.header, r.raw)
	}
}

func (f *fixture) page(t *testing.T, shop string, page, size int) reply {
	t.Helper()
	q := fmt.Sprintf(`{"beginPage":%d,"pageSize":%d,"country":"en","sellerOpenId":%q}`, page, size, shop)
	return f.do(t, f.valid(shopOffersPath, aop.Param{Key: "offerQueryParam", Value: q}))
}

func TestShopSearchPaginates(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 500})
	want := f.sim.ShopOfferIDs(f.sim.ShopID())
	if len(want) < 100 {
		t.Fatalf("shop has only %d offers", len(want))
	}
	var got []string
	pages := 0
	for p := 1; ; p++ {
		res := f.page(t, f.sim.ShopID(), p, 50).result()
		if res["success"] != true {
			t.Fatalf("page %d: %v", p, res)
		}
		pageInfo := res["result"].(map[string]any)
		if num(pageInfo["totalRecords"]) != len(want) || num(pageInfo["currentPage"]) != p {
			t.Fatalf("page %d header %v", p, pageInfo)
		}
		data := pageInfo["data"].([]any)
		if len(data) == 0 {
			if p != num(pageInfo["totalPage"])+1 {
				t.Errorf("empty page %d before totalPage %v", p, pageInfo["totalPage"])
			}
			break
		}
		pages++
		for _, d := range data {
			got = append(got, d.(map[string]any)["offerId"].(json.Number).String())
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listed %d offers, want %d in order", len(got), len(want))
	}
	if pages != (len(want)+49)/50 {
		t.Errorf("%d pages", pages)
	}
}

func num(v any) int {
	n, _ := strconv.Atoi(string(v.(json.Number)))
	return n
}

func (r reply) result() map[string]any { return r.body["result"].(map[string]any) }

func TestShopSearchRefusals(t *testing.T) {
	f := newFixture(t, sim.Options{})
	if r := f.page(t, f.sim.ShopID(), 1, 51).result(); r["success"] != false || r["code"] != "400" {
		t.Errorf("page of 51: %v", r)
	}
	if r := f.page(t, f.sim.ShopID(), 0, 10).result(); r["success"] != false {
		t.Errorf("page 0: %v", r)
	}
	q := `{"beginPage":1,"pageSize":10,"country":"en","sellerOpenId":"x","colour":"red"}`
	if r := f.do(t, f.valid(shopOffersPath, aop.Param{Key: "offerQueryParam", Value: q})); r.code() != "gw.ParamInvalid" {
		t.Errorf("unknown field: %s", r.raw)
	}
	if r := f.page(t, "BBBnobody", 1, 10).result()["result"].(map[string]any); num(r["totalRecords"]) != 0 {
		t.Errorf("unknown shop: %v", r)
	}
}

func TestCatalogueIsDeterministicAndVaried(t *testing.T) {
	a, b := sim.New(sim.Options{Seed: 7}), sim.New(sim.Options{Seed: 7})
	if fmt.Sprint(a.IDs()) != fmt.Sprint(b.IDs()) || a.ShopID() != b.ShopID() {
		t.Fatal("same seed, different catalogue")
	}
	counts := map[string]int{}
	for _, id := range a.IDs() {
		e := a.Expect(id)
		if fmt.Sprintf("%+v", e) != fmt.Sprintf("%+v", b.Expect(id)) {
			t.Fatalf("offer %s differs between runs", id)
		}
		counts[e.Outcome.String()]++
		if e.Outcome != sim.Found {
			continue
		}
		switch {
		case len(e.Variants) == 1 && e.Variants[0].SKU == id:
			counts["sku-less"]++
		case len(e.Variants) > 1:
			counts["multi-sku"]++
		}
		if e.Images == 0 {
			counts["no images"]++
		}
		for _, v := range e.Variants {
			counts[fmt.Sprintf("%d decimals", decimals(v.Price))]++
		}
	}
	if len(a.IDs()) < 1000 {
		t.Errorf("only %d offers", len(a.IDs()))
	}
	for _, k := range []string{"found", "not found", "refused", "sku-less", "multi-sku", "no images", "0 decimals", "1 decimals", "2 decimals"} {
		if counts[k] < 10 {
			t.Errorf("too few %q offers: %v", k, counts)
		}
	}
}

func decimals(fen int64) int {
	switch {
	case fen%100 == 0:
		return 0
	case fen%10 == 0:
		return 1
	}
	return 2
}

// The image forms the catalogue uses all appear in replies.
func TestImageForms(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 300})
	forms := map[string]bool{}
	for _, id := range f.sim.IDs() {
		if f.sim.Expect(id).Outcome != sim.Found {
			continue
		}
		r := f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}))
		img, _ := r.body["productInfo"].(map[string]any)["image"].(map[string]any)
		if img == nil {
			continue
		}
		for _, u := range img["images"].([]any) {
			s := u.(string)
			switch {
			case strings.HasPrefix(s, "//"):
				forms["protocol-relative"] = true
			case strings.HasPrefix(s, "https://"):
				forms["absolute"] = true
			default:
				if _, err := url.Parse(s); err == nil {
					forms["relative"] = true
				}
			}
		}
	}
	if len(forms) != 3 {
		t.Errorf("image forms seen: %v", forms)
	}
}

func TestThrottleVariants(t *testing.T) {
	for th, want := range map[simkit.Throttle]string{simkit.ThrottleDefault: "1", simkit.ThrottleRetryAfter: "1", simkit.ThrottleNoHint: ""} {
		f := newFixture(t, sim.Options{Rate: 5, Burst: 1, Throttle: th})
		id := f.someID(t, sim.Found)
		f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}))
		r := f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}))
		if r.code() != "gw.QosAppFrequencyLimit" || r.header.Get("Retry-After") != want {
			t.Errorf("%s: %v %s; want Retry-After %q", th, r.header, r.raw, want)
		}
		if got := f.sim.LimitCounts(); got != (simkit.Counts{Taken: 1, Refused: 1}) {
			t.Errorf("%s: limit counts %+v, want one taken, one refused", th, got)
		}
	}
}

const categoryAttrsPath = "param2/1/com.alibaba.product/alibaba.category.attribute.get/"

// alibaba.category.attribute.get is served behind the same checks as
// every API: signed, with the token, within the app's quota, with its
// required parameters; it names colour and size where the category has
// them, and answers an unknown category with success false.
func TestCategoryAttributes(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.SetRateLimit(1, 3)
	ok := f.do(t, f.valid(categoryAttrsPath, aop.Param{Key: "categoryID", Value: "1048182"}, aop.Param{Key: "webSite", Value: "1688"}))
	names := map[string]string{}
	for _, a := range ok.body["attributes"].([]any) {
		m := a.(map[string]any)
		names[string(m["attrID"].(json.Number))] = m["name"].(string)
	}
	if ok.status != 200 || ok.body["success"] != true || names["3216"] != "颜色" || names["450"] != "尺码" {
		t.Errorf("category 1048182: %d %s", ok.status, ok.raw)
	}
	unknown := f.do(t, f.valid(categoryAttrsPath, aop.Param{Key: "categoryID", Value: "1"}, aop.Param{Key: "webSite", Value: "1688"}))
	if unknown.body["success"] != false || unknown.body["errorCode"] != "500_1" {
		t.Errorf("unknown category: %s", unknown.raw)
	}
	if r := f.do(t, f.valid(categoryAttrsPath, aop.Param{Key: "categoryID", Value: "1048182"})); r.code() != "gw.ParamMissing" {
		t.Errorf("without webSite: %s", r.raw)
	}
	bad := f.valid(categoryAttrsPath, aop.Param{Key: "categoryID", Value: "1048182"}, aop.Param{Key: "webSite", Value: "1688"})
	bad.signWith = "wrong"
	if r := f.do(t, bad); r.code() != "gw.SignatureInvalid" {
		t.Errorf("wrongly signed: %s", r.raw)
	}
	// The quota is spent once the request is signed and authorised, before
	// its parameters are read; a bad signature spends nothing.
	if got := f.sim.LimitCounts(); got.Taken != 3 || got.Refused != 0 {
		t.Errorf("quota %+v: the three signed calls should each have taken a call", got)
	}
	if got := f.sim.Stats().Served[sim.APICategoryAttrs]; got != 2 {
		t.Errorf("served %d category calls, want the 2 answered", got)
	}
}

// Every shape of real answers appears among the offers on sale, and each
// reply is the shape Shapes says: names by id only, no status, numbers as
// strings, Chinese escaped, repeated images, SKU tiers.
func TestReplyShapes(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 400})
	seen := map[string]int{}
	for _, id := range f.sim.IDsWith(sim.Found) {
		shapes := f.sim.Shapes(id)
		r := f.do(t, f.valid(productInfoPath, aop.Param{Key: "productId", Value: id}))
		info := r.body["productInfo"].(map[string]any)
		has := func(s string) bool { return slices.Contains(shapes, s) }
		for _, s := range shapes {
			seen[s]++
		}
		if _, ok := info["status"]; ok == has("no status") {
			t.Errorf("%s: status %v with shapes %v", id, info["status"], shapes)
		}
		if _, isString := info["productID"].(string); isString != has("numbers as strings") {
			t.Errorf("%s: productID %#v with shapes %v", id, info["productID"], shapes)
		}
		if escaped := escapesNonASCII(r.raw); escaped != has("escaped") || strings.ContainsFunc(r.raw, func(c rune) bool { return c > 127 }) == escaped {
			t.Errorf("%s: escaped %v with shapes %v", id, escaped, shapes)
		}
		if named := strings.Contains(r.raw, "attributeDisplayName"); has("names by id") && named {
			t.Errorf("%s: names by id, yet the reply names them", id)
		}
		if img, _ := info["image"].(map[string]any); img != nil && has("repeated images") {
			if n := len(img["images"].([]any)); n <= f.sim.Expect(id).Images {
				t.Errorf("%s: %d images listed for %d pictures", id, n, f.sim.Expect(id).Images)
			}
		}
	}
	for _, s := range []string{"names by id", "no status", "numbers as strings", "escaped", "repeated images", "sale property attribute", "SKU tiers", "one SKU", "no SKUs", "no images"} {
		if seen[s] == 0 {
			t.Errorf("no offer on sale has shape %q: %v", s, seen)
		}
	}
}

// escapesNonASCII says whether a JSON text writes a character above ASCII
// as \uXXXX (Go's encoder escapes <, > and & that way too).
func escapesNonASCII(raw string) bool {
	for _, m := range regexp.MustCompile(`\\u([0-9a-fA-F]{4})`).FindAllStringSubmatch(raw, -1) {
		if n, _ := strconv.ParseUint(m[1], 16, 16); n > 127 {
			return true
		}
	}
	return false
}
