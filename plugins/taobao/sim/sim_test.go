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

	"github.com/marketsync/marketsync/plugins/taobao/sim"
	"github.com/marketsync/marketsync/plugins/taobao/top"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
	"github.com/marketsync/marketsync/sdk/simkit"
)

type gateway struct {
	t     *testing.T
	sim   *sim.Server
	srv   *httptest.Server
	clock *simkit.FakeClock
}

func start(t *testing.T, o sim.Options) *gateway {
	clock := simkit.NewFakeClock(time.Date(2026, 5, 20, 8, 30, 0, 0, time.UTC))
	o.Now = clock.Now
	g := &gateway{t: t, sim: sim.New(o), clock: clock}
	g.srv = httptest.NewServer(g.sim.Handler())
	t.Cleanup(g.srv.Close)
	return g
}

// encode signs a request the way the plugin's client does, with the
// gateway's credentials unless creds is given, at the gateway's time
// shifted by skew.
func (g *gateway) encode(api string, params map[string]string, skew time.Duration, creds *top.Credentials) (query, body string) {
	g.t.Helper()
	c := top.Credentials(g.sim.Credentials())
	if creds != nil {
		c = *creds
	}
	hc, _ := httpclient.New(httpclient.Options{})
	client, err := top.NewClient(g.srv.URL+sim.Path, c, top.SignHMACSHA256, hc, func() time.Time { return g.clock.Now().Add(skew) })
	if err != nil {
		g.t.Fatal(err)
	}
	query, body, err = client.Encode(api, params)
	if err != nil {
		g.t.Fatal(err)
	}
	return query, body
}

// sendRaw posts raw bytes and returns the answer's bytes.
func (g *gateway) sendRaw(method, query, body string) []byte {
	g.t.Helper()
	req, _ := http.NewRequest(method, g.srv.URL+sim.Path+"?"+query, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return raw
}

// send posts raw bytes and returns the decoded answer.
func (g *gateway) send(method, query, body string) map[string]json.RawMessage {
	g.t.Helper()
	raw := g.sendRaw(method, query, body)
	var out map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		g.t.Fatalf("answer %q: %v", raw, err)
	}
	return out
}

type apiError struct {
	Code    int    `json:"code"`
	SubCode string `json:"sub_code"`
	SubMsg  string `json:"sub_msg"`
}

func refusal(t *testing.T, out map[string]json.RawMessage) *apiError {
	t.Helper()
	raw, ok := out["error_response"]
	if !ok {
		return nil
	}
	var e apiError
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

// itemsBody is an answer listing items, with the total for paged APIs.
type itemsBody struct {
	Items struct {
		Item []struct {
			NumIID json.Number `json:"num_iid"` // bare or quoted
		} `json:"item"`
	} `json:"items"`
	Total int `json:"total_results"`
}

func sellerList(ids ...string) map[string]string {
	return map[string]string{"fields": "num_iid,title,sku", "num_iids": strings.Join(ids, ",")}
}

func TestAcceptsAWellFormedRequest(t *testing.T) {
	g := start(t, sim.Options{Seed: 1, Items: 100})
	ids := g.sim.OnSaleIDs()[:2]
	out := g.send(joinQB(g.encode("taobao.items.seller.list.get", sellerList(ids...), 0, nil)))
	if e := refusal(t, out); e != nil {
		t.Fatalf("refused: %+v", e)
	}
	var body itemsBody
	json.Unmarshal(out["items_seller_list_get_response"], &body)
	if len(body.Items.Item) != 2 || body.Items.Item[0].NumIID.String() != ids[0] {
		t.Errorf("answer %s", out["items_seller_list_get_response"])
	}
	// The same request as a GET with everything in the query works too.
	q, b := g.encode("taobao.items.seller.list.get", sellerList(ids...), 0, nil)
	if e := refusal(t, g.send(http.MethodGet, q+"&"+b, "")); e != nil {
		t.Errorf("GET refused: %+v", e)
	}
}

func joinQB(q, b string) (string, string, string) { return http.MethodPost, q, b }

// The official Python SDK sends the timestamp as milliseconds and signs
// with md5 by default; the gateway takes both.
func TestAcceptsPythonSDKStyle(t *testing.T) {
	g := start(t, sim.Options{Seed: 1, Items: 10})
	c := g.sim.Credentials()
	p := map[string]string{
		"method": "taobao.items.onsale.get", "app_key": c.AppKey, "session": c.Session, "v": "2.0", "format": "json",
		"sign_method": "md5", "timestamp": strconv.FormatInt(g.clock.Now().UnixMilli(), 10), "fields": "num_iid",
	}
	sign, _ := top.Sign(p, c.AppSecret, top.SignMD5)
	v := url.Values{}
	for k, val := range p {
		v.Set(k, val)
	}
	v.Set("sign", sign)
	if e := refusal(t, g.send(http.MethodGet, v.Encode(), "")); e != nil {
		t.Errorf("refused: %+v", e)
	}
}

func TestRejectsWhatBreaksTheContract(t *testing.T) {
	g := start(t, sim.Options{Seed: 1, Items: 100})
	ids := g.sim.OnSaleIDs()
	wrongSession := top.Credentials{AppKey: g.sim.Credentials().AppKey, AppSecret: g.sim.Credentials().AppSecret, Session: "stolen"}
	for name, tc := range map[string]struct {
		method      string
		query, body func() (string, string)
		code        int
		sub         string
	}{
		"body changed after signing": {query: func() (string, string) {
			q, b := g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, nil)
			return q, strings.Replace(b, ids[0], ids[1], 1)
		}, code: 25},
		"query changed after signing": {query: func() (string, string) {
			q, b := g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, nil)
			return strings.Replace(q, "format=json", "format=json&partner_id=x", 1), b
		}, code: 25},
		"stale timestamp": {query: func() (string, string) {
			return g.encode("taobao.items.seller.list.get", sellerList(ids[0]), -11*time.Minute, nil)
		}, code: 31},
		"timestamp from the future": {query: func() (string, string) {
			return g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 11*time.Minute, nil)
		}, code: 31},
		"missing timestamp": {query: func() (string, string) {
			q, b := g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, nil)
			return drop(q, "timestamp"), b
		}, code: 30},
		"missing signature": {query: func() (string, string) {
			q, b := g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, nil)
			return drop(q, "sign"), b
		}, code: 24},
		"missing method": {query: func() (string, string) {
			q, b := g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, nil)
			return drop(q, "method"), b
		}, code: 21},
		"missing required argument": {query: func() (string, string) {
			return g.encode("taobao.items.seller.list.get", map[string]string{"fields": "num_iid"}, 0, nil)
		}, code: 40, sub: "isv.missing-parameter:num_iids"},
		"wrong session": {query: func() (string, string) {
			return g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, &wrongSession)
		}, code: 27, sub: "invalid-sessionkey"},
		"missing session": {query: func() (string, string) {
			q, b := g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, nil)
			return resign(g, drop(q, "session"), b), b
		}, code: 26},
		"21 ids in one batch": {query: func() (string, string) {
			return g.encode("taobao.items.seller.list.get", sellerList(ids[:21]...), 0, nil)
		}, code: 41, sub: "isv.invalid-parameter:num_iids"},
		"unknown parameter": {query: func() (string, string) {
			p := sellerList(ids[0])
			p["colour"] = "red"
			return g.encode("taobao.items.seller.list.get", p, 0, nil)
		}, code: 41, sub: "isv.invalid-parameter:colour"},
		"empty parameter, signed PHP-style": {query: func() (string, string) {
			q, b := g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, nil)
			return resign(g, q, b+"&q="), b + "&q="
		}, code: 41, sub: "isv.invalid-parameter:q"},
		"parameter given twice": {query: func() (string, string) {
			q, b := g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, nil)
			return q, b + "&num_iids=" + ids[1]
		}, code: 41, sub: "isv.invalid-parameter:num_iids"},
		"field the API does not return": {query: func() (string, string) {
			return g.encode("taobao.items.onsale.get", map[string]string{"fields": "num_iid,sku"}, 0, nil)
		}, code: 41, sub: "isv.invalid-parameter:fields"},
		"unknown API": {query: func() (string, string) {
			return g.encode("taobao.item.delete", map[string]string{"num_iid": ids[0]}, 0, nil)
		}, code: 22},
		"PUT": {method: http.MethodPut, query: func() (string, string) {
			return g.encode("taobao.items.seller.list.get", sellerList(ids[0]), 0, nil)
		}, code: 9},
	} {
		t.Run(name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			q, b := tc.query()
			e := refusal(t, g.send(method, q, b))
			if e == nil || e.Code != tc.code || (tc.sub != "" && e.SubCode != tc.sub) {
				t.Errorf("got %+v, want code %d %s", e, tc.code, tc.sub)
			}
		})
	}
}

// drop removes a parameter from a raw query.
func drop(query, name string) string {
	v, _ := url.ParseQuery(query)
	v.Del(name)
	return v.Encode()
}

// resign replaces the signature with a correct one over query and body as
// they now are, so that a test reaches the check after the signature.
func resign(g *gateway, query, body string) string {
	q, _ := url.ParseQuery(query)
	b, _ := url.ParseQuery(body)
	all := map[string]string{}
	for _, v := range []url.Values{q, b} {
		for k := range v {
			all[k] = v.Get(k)
		}
	}
	q.Del("sign")
	delete(all, "sign")
	// Sign leaves empty values out as the Java SDK does; the gateway signs
	// what it receives, so sign the way the PHP SDK does here.
	var joined strings.Builder
	for _, k := range sortedKeys(all) {
		joined.WriteString(k + all[k])
	}
	q.Set("sign", hmacSHA256(g.sim.Credentials().AppSecret, joined.String()))
	return q.Encode()
}

func TestRateLimitIsThePlatformsError(t *testing.T) {
	g := start(t, sim.Options{Seed: 1, Items: 10})
	g.sim.SetRateLimit(0.5, 3)
	call := func() *apiError {
		return refusal(t, g.send(joinQB(g.encode("taobao.items.onsale.get", map[string]string{"fields": "num_iid"}, 0, nil))))
	}
	for i := range 3 {
		if e := call(); e != nil {
			t.Fatalf("call %d within the burst refused: %+v", i+1, e)
		}
	}
	e := call()
	if e == nil || e.Code != 7 || e.SubCode != "accesscontrol.limited-by-app-access-count" || e.SubMsg != "This ban will last for 2 more seconds" {
		t.Fatalf("fourth call: %+v, want error 7 with a 2-second ban", e)
	}
	g.clock.Advance(2 * time.Second)
	if e := call(); e != nil {
		t.Errorf("after the ban: %+v", e)
	}
	if n := g.sim.Stats().Refused["7/accesscontrol.limited-by-app-access-count"]; n != 1 {
		t.Errorf("refusals counted %d, want 1", n)
	}
	g.sim.SetRateLimit(0.1, 0)
	if e := call(); e == nil || e.SubMsg != "This ban will last for 10 more seconds" {
		t.Errorf("closed bucket: %+v", e)
	}
	g.clock.Advance(time.Hour)
	if e := call(); e == nil || e.Code != 7 {
		t.Errorf("closed bucket an hour later: %+v", e)
	}
	g.sim.SetRateLimit(0, 0)
	if e := call(); e != nil {
		t.Errorf("limit lifted: %+v", e)
	}
}

func TestPaginatesLikeOnsaleGet(t *testing.T) {
	g := start(t, sim.Options{Seed: 2, Items: 900})
	want := g.sim.OnSaleIDs()
	var got []string
	for page := 1; ; page++ {
		out := g.send(joinQB(g.encode("taobao.items.onsale.get", map[string]string{"fields": "num_iid,title", "page_no": strconv.Itoa(page), "page_size": "200"}, 0, nil)))
		if e := refusal(t, out); e != nil {
			t.Fatalf("page %d: %+v", page, e)
		}
		var body itemsBody
		json.Unmarshal(out["items_onsale_get_response"], &body)
		if body.Total != len(want) {
			t.Fatalf("total_results %d, want %d", body.Total, len(want))
		}
		if len(body.Items.Item) == 0 {
			break
		}
		for _, it := range body.Items.Item {
			got = append(got, it.NumIID.String())
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages gave %d ids, want the %d on-sale ids in order", len(got), len(want))
	}
	for name, p := range map[string]map[string]string{
		"page too large": {"fields": "num_iid", "page_size": "201"},
		"too deep":       {"fields": "num_iid", "page_size": "200", "page_no": "101"},
		"page zero":      {"fields": "num_iid", "page_no": "0"},
	} {
		if e := refusal(t, g.send(joinQB(g.encode("taobao.items.onsale.get", p, 0, nil)))); e == nil || e.Code != 41 {
			t.Errorf("%s: %+v, want 41", name, e)
		}
	}
}

func TestCatalogueVariety(t *testing.T) {
	a := sim.New(sim.Options{Seed: 9, Items: 2000})
	b := sim.New(sim.Options{Seed: 9, Items: 2000})
	counts := map[string]int{}
	for _, id := range a.IDs() {
		e := a.Expect(id)
		if fmt.Sprint(e) != fmt.Sprint(b.Expect(id)) {
			t.Fatalf("%s differs between two simulators with the same seed", id)
		}
		switch {
		case !e.Found:
			counts[e.Reason]++
		case len(e.Variants) == 1 && e.Variants[0].SKU == id:
			counts["sku-less"]++
		default:
			counts["multi-sku"]++
		}
		if e.Found && e.Images == 0 {
			counts["no images"]++
		}
		if e.Found && !strings.ContainsFunc(e.Title, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("%s: title %q is not Chinese", id, e.Title)
		}
	}
	for _, k := range []string{"deleted", "off_shelf", "sku-less", "multi-sku", "no images"} {
		if counts[k] == 0 {
			t.Errorf("no %s items among 2000: %v", k, counts)
		}
	}
	if e := a.Expect("1"); e.Found || e.Reason != "unknown" {
		t.Errorf("unknown id: %+v", e)
	}
}

// The answers hold the shapes real ones do, counted on the wire: items
// without approve_status, numbers as strings and as numbers, one-SKU
// lists, descriptions, property_alias, sale properties repeated in
// props_name, a picture listed twice, and Chinese both escaped as \uXXXX
// and written out.
func TestAnswersHoldTheRealShapes(t *testing.T) {
	g := start(t, sim.Options{Seed: 3, Items: 400})
	counts := map[string]int{}
	ids := g.sim.IDs()
	for start := 0; start < len(ids); start += 20 {
		params := map[string]string{"fields": "num_iid,title,approve_status,num,item_img,sku,props_name,property_alias,desc", "num_iids": strings.Join(ids[start:min(start+20, len(ids))], ",")}
		raw := g.sendRaw(joinQB(g.encode("taobao.items.seller.list.get", params, 0, nil)))
		if chineseEscape.Match(raw) {
			counts["escaped"]++
		} else if strings.ContainsFunc(string(raw), func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			counts["plain"]++
		}
		var body struct {
			Resp struct {
				Items struct {
					Item []map[string]json.RawMessage `json:"item"`
				} `json:"items"`
			} `json:"items_seller_list_get_response"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		for _, it := range body.Resp.Items.Item {
			if _, ok := it["approve_status"]; !ok {
				counts["no status"]++
			}
			if it["num_iid"][0] == '"' {
				counts["quoted"]++
			} else {
				counts["bare"]++
			}
			var skus struct {
				Sku []map[string]any `json:"sku"`
			}
			json.Unmarshal(it["skus"], &skus)
			if len(skus.Sku) == 1 {
				counts["one sku"]++
			}
			var desc, alias, props string
			json.Unmarshal(it["desc"], &desc)
			json.Unmarshal(it["property_alias"], &alias)
			json.Unmarshal(it["props_name"], &props)
			if strings.HasPrefix(desc, "<p>") {
				counts["desc"]++
			}
			if alias != "" {
				counts["alias"]++
			}
			if len(skus.Sku) > 0 && strings.Contains(props, ":颜色分类:") {
				counts["sale props in props_name"]++
			}
			var imgs struct {
				Img []struct {
					URL string `json:"url"`
				} `json:"item_img"`
			}
			json.Unmarshal(it["item_imgs"], &imgs)
			seen := map[string]bool{}
			for _, img := range imgs.Img {
				key := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(img.URL, "https:"), "http:"))
				if seen[key] {
					counts["repeated image"]++
				}
				seen[key] = true
			}
		}
	}
	for _, k := range []string{"escaped", "plain", "no status", "quoted", "bare", "one sku", "desc", "alias", "sale props in props_name", "repeated image"} {
		if counts[k] == 0 {
			t.Errorf("no answer or item shows %q: %v", k, counts)
		}
	}
}

var chineseEscape = regexp.MustCompile(`\\u[4-9][0-9a-f]{3}`)

func TestCheckFindsDifferences(t *testing.T) {
	s := sim.New(sim.Options{Seed: 4, Items: 200})
	var e sim.Expectation
	for _, id := range s.IDs() {
		if e = s.Expect(id); e.Found && len(e.Variants) > 1 && e.Images > 0 && e.Description != "" {
			break
		}
	}
	build := func() *sdk.Product {
		p := &sdk.Product{ID: e.ID, Source: "taobao", Title: map[string]string{e.Locale: e.Title}, URL: e.URL, UpdatedAt: e.UpdatedAt, Attributes: e.Attributes}
		if e.Description != "" {
			p.Description = map[string]string{e.Locale: e.Description}
		}
		for range e.Images {
			p.Images = append(p.Images, sdk.Image{URL: "https://img.alicdn.com/x.jpg"})
		}
		for _, v := range e.Variants {
			p.Variants = append(p.Variants, sdk.Variant{SKU: v.SKU, Options: slices.Clone(v.Options), Price: sdk.Money{Amount: v.Price, Currency: e.Currency}, Stock: v.Stock})
		}
		return p
	}
	if err := e.Check(build()); err != nil {
		t.Fatalf("faithful product refused: %v", err)
	}
	for name, spoil := range map[string]func(*sdk.Product){
		"price":       func(p *sdk.Product) { p.Variants[1].Price.Amount++ },
		"currency":    func(p *sdk.Product) { p.Variants[0].Price.Currency = "USD" },
		"option":      func(p *sdk.Product) { p.Variants[0].Options = p.Variants[0].Options[1:] },
		"stock":       func(p *sdk.Product) { p.Variants[0].Stock++ },
		"image":       func(p *sdk.Product) { p.Images = p.Images[1:] },
		"locale":      func(p *sdk.Product) { p.Title = map[string]string{"en": e.Title} },
		"variant":     func(p *sdk.Product) { p.Variants = p.Variants[1:] },
		"description": func(p *sdk.Product) { p.Description = nil },
		"updated_at":  func(p *sdk.Product) { p.UpdatedAt = p.UpdatedAt.Add(time.Hour) },
		"attribute": func(p *sdk.Product) {
			p.Attributes = append(p.Attributes, sdk.Attribute{Name: "颜色分类", Value: "黑色", Locale: "zh-CN"})
		},
		"alias": func(p *sdk.Product) { p.Variants[0].Options[0].StandardValue = "x" },
	} {
		p := build()
		spoil(p)
		if err := e.Check(p); err == nil {
			t.Errorf("a product with a wrong %s passed", name)
		}
	}
}

func TestThrottleVariants(t *testing.T) {
	for th, want := range map[simkit.Throttle]struct{ subMsg, retryAfter string }{
		simkit.ThrottleDefault:    {"This ban will last for 1 more seconds", ""},
		simkit.ThrottleRetryAfter: {"", "1"},
		simkit.ThrottleNoHint:     {"", ""},
	} {
		g := start(t, sim.Options{Seed: 1, Items: 10, Rate: 5, Burst: 1, Throttle: th})
		var rec *httptest.ResponseRecorder
		for range 2 {
			query, body := g.encode("taobao.items.onsale.get", map[string]string{"fields": "num_iid"}, 0, nil)
			req := httptest.NewRequest(http.MethodPost, sim.Path+"?"+query, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
			rec = httptest.NewRecorder()
			g.sim.Handler().ServeHTTP(rec, req)
		}
		var out map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		e := refusal(t, out)
		if e == nil || e.Code != 7 || e.SubMsg != want.subMsg || rec.Header().Get("Retry-After") != want.retryAfter {
			t.Errorf("%s: %+v, Retry-After %q; want sub_msg %q, Retry-After %q", th, e, rec.Header().Get("Retry-After"), want.subMsg, want.retryAfter)
		}
		if got := g.sim.LimitCounts(); got != (simkit.Counts{Taken: 1, Refused: 1}) {
			t.Errorf("%s: limit counts %+v, want one taken, one refused", th, got)
		}
	}
}
