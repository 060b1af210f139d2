package sim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/marketsync/marketsync/plugins/pinduoduo/pdd"
	"github.com/marketsync/marketsync/plugins/pinduoduo/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// clock is the fake clock the tests move by hand.
type clock = simkit.FakeClock

func newSim(t *testing.T, o sim.Options) (*sim.Server, *clock) {
	t.Helper()
	c := simkit.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	o.Now = c.Now
	if o.Goods == 0 {
		o.Goods = 500
	}
	return sim.New(o), c
}

// form is a correctly signed call of apiType at the sim's clock, signed
// with the plugin's Sign (itself checked against openssl vectors).
func form(s *sim.Server, c *clock, apiType string, biz map[string]string) url.Values {
	cred := s.Credentials()
	v := url.Values{}
	for k, x := range biz {
		v.Set(k, x)
	}
	v.Set("type", apiType)
	v.Set("client_id", cred.ClientID)
	v.Set("access_token", cred.AccessToken)
	v.Set("timestamp", strconv.FormatInt(c.Now().Unix(), 10))
	v.Set("data_type", "JSON")
	v.Set("version", "V1")
	resign(s, v)
	return v
}

func resign(s *sim.Server, v url.Values) {
	flat := map[string]string{}
	for k := range v {
		if k != "sign" {
			flat[k] = v.Get(k)
		}
	}
	v.Set("sign", pdd.Sign(s.Credentials().ClientSecret, flat))
}

type answer struct {
	status     int
	retryAfter string
	body       map[string]json.RawMessage
	errCode    int
	errMsg     string
}

// post sends body as a form to the gateway's handler.
func post(t *testing.T, s *sim.Server, body string) answer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, sim.Path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	a := answer{status: rec.Code, retryAfter: rec.Header().Get("Retry-After")}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, rec.Body)
	}
	if raw, ok := a.body["error_response"]; ok {
		var e struct {
			Code int    `json:"error_code"`
			Msg  string `json:"error_msg"`
		}
		json.Unmarshal(raw, &e)
		a.errCode, a.errMsg = e.Code, e.Msg
	}
	return a
}

func TestServesASignedCall(t *testing.T) {
	s, c := newSim(t, sim.Options{})
	id := s.Sample(sim.KindMultiSKU)
	a := post(t, s, form(s, c, sim.TypeGoodsDetail, map[string]string{"goods_id": id}).Encode())
	if a.errCode != 0 || a.status != 200 {
		t.Fatalf("refused: %d %s", a.errCode, a.errMsg)
	}
	var d struct {
		GoodsID int64 `json:"goods_id"`
		SkuList []any `json:"sku_list"`
	}
	json.Unmarshal(a.body["goods_detail_get_response"], &d)
	if strconv.FormatInt(d.GoodsID, 10) != id || len(d.SkuList) < 2 {
		t.Errorf("answer %+v", d)
	}
}

func TestRefusesWhatBreaksTheContract(t *testing.T) {
	for name, tc := range map[string]struct {
		// edit changes a correct call; resigned says whether it is signed
		// again afterwards (so only the edit is wrong).
		edit     func(s *sim.Server, c *clock, v url.Values)
		resigned bool
		code     int
	}{
		"tampered value":  {func(_ *sim.Server, _ *clock, v url.Values) { v.Set("goods_id", v.Get("goods_id")+"1") }, false, 20004},
		"lower-case sign": {func(_ *sim.Server, _ *clock, v url.Values) { v.Set("sign", strings.ToLower(v.Get("sign"))) }, false, 20004},
		"wrong secret": {func(_ *sim.Server, _ *clock, v url.Values) {
			v.Set("sign", pdd.Sign("other", map[string]string{"type": v.Get("type")}))
		}, false, 20004},
		"stale timestamp":       {func(_ *sim.Server, c *clock, v url.Values) { v.Set("timestamp", unix(c.Now().Add(-11*time.Minute))) }, true, 10001},
		"future timestamp":      {func(_ *sim.Server, c *clock, v url.Values) { v.Set("timestamp", unix(c.Now().Add(11*time.Minute))) }, true, 10001},
		"millisecond timestamp": {func(_ *sim.Server, c *clock, v url.Values) { v.Set("timestamp", unix(c.Now())+"000") }, true, 10001},
		"no timestamp":          {func(_ *sim.Server, _ *clock, v url.Values) { v.Del("timestamp") }, true, 10001},
		"no type":               {func(_ *sim.Server, _ *clock, v url.Values) { v.Del("type") }, true, 10001},
		"no sign":               {func(_ *sim.Server, _ *clock, v url.Values) { v.Del("sign") }, false, 10001},
		"XML":                   {func(_ *sim.Server, _ *clock, v url.Values) { v.Set("data_type", "XML") }, true, 10001},
		"unknown client":        {func(_ *sim.Server, _ *clock, v url.Values) { v.Set("client_id", "nobody") }, true, 10016},
		"unknown type":          {func(_ *sim.Server, _ *clock, v url.Values) { v.Set("type", "pdd.goods.nothing.get") }, true, 10017},
		"unknown parameter":     {func(_ *sim.Server, _ *clock, v url.Values) { v.Set("goods_sign", "c9r2omog") }, true, 10000},
		"empty parameter":       {func(_ *sim.Server, _ *clock, v url.Values) { v.Set("goods_id", "") }, true, 10000},
		"no goods_id":           {func(_ *sim.Server, _ *clock, v url.Values) { v.Del("goods_id") }, true, 21002},
		"two goods ids": {func(_ *sim.Server, _ *clock, v url.Values) {
			v.Set("goods_id", v.Get("goods_id")+","+v.Get("goods_id"))
		}, true, 21001},
		"goods id list": {func(_ *sim.Server, _ *clock, v url.Values) { v.Set("goods_id", "["+v.Get("goods_id")+"]") }, true, 21001},
		"wrong token":   {func(_ *sim.Server, _ *clock, v url.Values) { v.Set("access_token", "stolen") }, true, 20032},
		"no token":      {func(_ *sim.Server, _ *clock, v url.Values) { v.Del("access_token") }, true, 20032},
		"expired token": {func(s *sim.Server, _ *clock, _ url.Values) { s.ExpireToken() }, true, 10019},
	} {
		t.Run(name, func(t *testing.T) {
			s, c := newSim(t, sim.Options{})
			v := form(s, c, sim.TypeGoodsDetail, map[string]string{"goods_id": s.Sample(sim.KindSpecLess)})
			tc.edit(s, c, v)
			if tc.resigned {
				resign(s, v)
			}
			if a := post(t, s, v.Encode()); a.errCode != tc.code {
				t.Errorf("got %d %s, want %d", a.errCode, a.errMsg, tc.code)
			}
			if st := s.Stats(); st.Errors[tc.code] != 1 || st.Served != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// The signature is checked over the bytes as decoded, not over a
// re-encoding: "+" and "%20" both mean a space, but a value encoded twice
// is another value.
func TestSignatureIsCheckedOnTheBytesReceived(t *testing.T) {
	s, c := newSim(t, sim.Options{})
	v := form(s, c, sim.TypeGoodsList, map[string]string{"goods_name": "纯棉 T恤", "page": "1"})
	body := v.Encode()
	if !strings.Contains(body, "+T") {
		t.Fatalf("expected url.Values to encode the space as +: %s", body)
	}
	if a := post(t, s, body); a.errCode != 0 {
		t.Fatalf("+ for space: %d %s", a.errCode, a.errMsg)
	}
	if a := post(t, s, strings.Replace(body, "+T", "%20T", 1)); a.errCode != 0 {
		t.Fatalf("%%20 for space: %d %s", a.errCode, a.errMsg)
	}
	if a := post(t, s, strings.Replace(body, "+T", "%2520T", 1)); a.errCode != 20004 {
		t.Fatalf("double-encoded space: %d %s, want 20004", a.errCode, a.errMsg)
	}
	if a := post(t, s, body+"&page=2"); a.errCode != 10000 {
		t.Fatalf("repeated parameter: %d %s, want 10000", a.errCode, a.errMsg)
	}
}

func TestTimestampWindowEdges(t *testing.T) {
	s, c := newSim(t, sim.Options{})
	for _, d := range []time.Duration{-10 * time.Minute, -9 * time.Minute, 9 * time.Minute, 10 * time.Minute} {
		v := form(s, c, sim.TypeGoodsList, nil)
		v.Set("timestamp", unix(c.Now().Add(d)))
		resign(s, v)
		if a := post(t, s, v.Encode()); a.errCode != 0 {
			t.Errorf("%s off: %d %s", d, a.errCode, a.errMsg)
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	s, c := newSim(t, sim.Options{MaxBodyBytes: 512})
	v := form(s, c, sim.TypeGoodsList, map[string]string{"goods_name": strings.Repeat("袜", 200)})
	if a := post(t, s, v.Encode()); a.errCode != 52004 {
		t.Errorf("got %d %s, want 52004", a.errCode, a.errMsg)
	}
}

func TestRateLimitAnswers70031WithRetryAfter(t *testing.T) {
	s, c := newSim(t, sim.Options{Rate: 2, Burst: 2})
	call := func() answer { return post(t, s, form(s, c, sim.TypeGoodsList, nil).Encode()) }
	for i := range 2 {
		if a := call(); a.errCode != 0 {
			t.Fatalf("call %d within the burst: %d", i+1, a.errCode)
		}
	}
	a := call()
	if a.errCode != 70031 || a.errMsg != "调用过于频繁，请调整调用频率" || a.retryAfter != "1" {
		t.Fatalf("over the limit: %d %q Retry-After %q", a.errCode, a.errMsg, a.retryAfter)
	}
	c.Advance(499 * time.Millisecond)
	if a := call(); a.errCode != 70031 {
		t.Fatalf("before a token is back: %d", a.errCode)
	}
	c.Advance(time.Millisecond)
	if a := call(); a.errCode != 0 {
		t.Fatalf("after 500ms at 2/s: %d", a.errCode)
	}
	// Refused calls spend nothing, and lifting the limit lets all through.
	s.SetRateLimit(0, 0)
	for range 10 {
		if a := call(); a.errCode != 0 {
			t.Fatalf("without a limit: %d", a.errCode)
		}
	}
	// A call the gateway refuses for its signature is not counted against
	// the app's rate.
	s.SetRateLimit(1, 1)
	bad := form(s, c, sim.TypeGoodsList, nil)
	bad.Set("sign", "00000000000000000000000000000000")
	post(t, s, bad.Encode())
	if a := call(); a.errCode != 0 {
		t.Fatalf("first good call after a bad one: %d", a.errCode)
	}
	// ExhaustRateLimit refuses the very next call, limit or none.
	s.SetRateLimit(0, 0)
	s.ExhaustRateLimit()
	if a := call(); a.errCode != 70031 || a.retryAfter != "100" {
		t.Fatalf("after ExhaustRateLimit: %d, Retry-After %q", a.errCode, a.retryAfter)
	}
}

func TestPaginatesLikeThePlatform(t *testing.T) {
	s, c := newSim(t, sim.Options{Goods: 750})
	want := s.ListedIDs()
	var got []string
	for page := 1; ; page++ {
		a := post(t, s, form(s, c, sim.TypeGoodsList, map[string]string{"is_onsale": "1", "page": strconv.Itoa(page), "page_size": "100"}).Encode())
		var l struct {
			GoodsList []struct {
				GoodsID  int64 `json:"goods_id"`
				IsOnsale int   `json:"is_onsale"`
			} `json:"goods_list"`
			TotalCount int `json:"total_count"`
		}
		if err := json.Unmarshal(a.body["goods_list_get_response"], &l); err != nil || a.errCode != 0 {
			t.Fatalf("page %d: %v %d", page, err, a.errCode)
		}
		if l.TotalCount != len(want) {
			t.Fatalf("total_count %d, want %d", l.TotalCount, len(want))
		}
		for _, g := range l.GoodsList {
			if g.IsOnsale != 1 {
				t.Errorf("goods %d listed with is_onsale %d", g.GoodsID, g.IsOnsale)
			}
			got = append(got, strconv.FormatInt(g.GoodsID, 10))
		}
		if len(l.GoodsList) < 100 {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("paged %d ids, want %d", len(got), len(want))
	}
	if len(want) >= len(s.IDs()) || len(want) < 600 {
		t.Errorf("%d of %d goods listed: off-shelf and deleted goods should be missing", len(want), len(s.IDs()))
	}
	for _, size := range []string{"101", "0", "-1", "x"} {
		if a := post(t, s, form(s, c, sim.TypeGoodsList, map[string]string{"page_size": size}).Encode()); a.errCode != 21001 {
			t.Errorf("page_size %s: %d, want 21001", size, a.errCode)
		}
	}
}

func TestCatalogueIsDeterministicAndVaried(t *testing.T) {
	a, b := sim.New(sim.Options{Seed: 7}), sim.New(sim.Options{Seed: 7})
	if len(a.IDs()) != 3000 {
		t.Errorf("default catalogue has %d goods", len(a.IDs()))
	}
	for _, id := range a.IDs()[:50] {
		if ea, eb := a.Expect(id), b.Expect(id); ea.Title != eb.Title || len(ea.SKUs) != len(eb.SKUs) {
			t.Fatalf("seed 7 gave two catalogues at %s", id)
		}
	}
	other := sim.New(sim.Options{Seed: 8, Goods: 50})
	same := 0
	for _, id := range other.IDs() {
		if other.Expect(id).Title == a.Expect(id).Title {
			same++
		}
	}
	if same == 50 {
		t.Error("seeds 7 and 8 gave the same titles")
	}
	for k := sim.KindMultiSKU; k <= sim.KindSKUOffSale; k++ {
		id := a.Sample(k)
		e := a.Expect(id)
		switch k {
		case sim.KindOffShelf, sim.KindDeleted:
			if !e.NotFound {
				t.Errorf("kind %d (%s) is expected found", k, id)
			}
			continue
		}
		if e.NotFound || e.Locale != "zh-CN" || e.Currency != "CNY" || !utf8.ValidString(e.Title) {
			t.Errorf("kind %d (%s): %+v", k, id, e)
		}
		switch k {
		case sim.KindMultiSKU:
			if len(e.SKUs) < 2 || len(e.SKUs[0].Options) == 0 {
				t.Errorf("multi-SKU %s: %+v", id, e.SKUs)
			}
		case sim.KindSpecLess:
			if len(e.SKUs) != 1 || len(e.SKUs[0].Options) != 0 {
				t.Errorf("spec-less %s: %+v", id, e.SKUs)
			}
		case sim.KindNoImages:
			if e.Images != 0 {
				t.Errorf("no-images %s has %d", id, e.Images)
			}
		case sim.KindSoldOut:
			for _, sku := range e.SKUs {
				if sku.Stock != 0 {
					t.Errorf("sold-out %s has stock", id)
				}
			}
		}
	}
	if !a.Expect(a.UnknownID()).NotFound {
		t.Error("unknown id expected found")
	}
	if !strings.ContainsAny(a.Expect(a.Sample(sim.KindMultiSKU)).Title, "的款棉杯套鞋盒包衣巾锅袜") {
		t.Errorf("title %q is not Chinese", a.Expect(a.Sample(sim.KindMultiSKU)).Title)
	}
}

func TestUnknownGoodsIsABusinessError(t *testing.T) {
	s, c := newSim(t, sim.Options{})
	a := post(t, s, form(s, c, sim.TypeGoodsDetail, map[string]string{"goods_id": s.UnknownID()}).Encode())
	var e struct {
		SubMsg string `json:"sub_msg"`
	}
	json.Unmarshal(a.body["error_response"], &e)
	if a.errCode != 50001 || e.SubMsg != "商品不存在" {
		t.Errorf("got %d %q", a.errCode, e.SubMsg)
	}
}

// Diff must notice each way a product can be wrong, or the end-to-end
// tests built on it could not fail.
func TestDiffCatchesMistakes(t *testing.T) {
	s := sim.New(sim.Options{Goods: 20})
	id := s.Sample(sim.KindMultiSKU)
	e := s.Expect(id)
	good := func() *sdk.Product {
		p := &sdk.Product{ID: id, Source: "pinduoduo", Title: map[string]string{e.Locale: e.Title}}
		for _, a := range e.Attributes {
			p.Attributes = append(p.Attributes, sdk.Attribute{Name: a[0], Value: a[1], Locale: "zh-CN"})
		}
		for i := range e.Images {
			p.Images = append(p.Images, sdk.Image{URL: "https://img.pddpic.com/" + strconv.Itoa(i)})
		}
		for _, k := range e.SKUs {
			v := sdk.Variant{SKU: k.ID, Price: sdk.Money{Amount: k.Price, Currency: "CNY"}, Stock: k.Stock}
			for _, o := range k.Options {
				v.Options = append(v.Options, sdk.Option{Name: o[0], Value: o[1]})
			}
			p.Variants = append(p.Variants, v)
		}
		return p
	}
	if d := e.Diff(good(), nil); len(d) != 0 {
		t.Fatalf("a correct product differs: %v", d)
	}
	for name, spoil := range map[string]func(p *sdk.Product){
		"price as yuan":     func(p *sdk.Product) { p.Variants[0].Price.Amount /= 100 },
		"currency":          func(p *sdk.Product) { p.Variants[0].Price.Currency = "USD" },
		"stock":             func(p *sdk.Product) { p.Variants[1].Stock++ },
		"option value":      func(p *sdk.Product) { p.Variants[0].Options[0].Value = "?" },
		"option dropped":    func(p *sdk.Product) { p.Variants[0].Options = p.Variants[0].Options[1:] },
		"sku id":            func(p *sdk.Product) { p.Variants[0].SKU = id },
		"variant dropped":   func(p *sdk.Product) { p.Variants = p.Variants[1:] },
		"title locale":      func(p *sdk.Product) { p.Title = map[string]string{"en": e.Title} },
		"extra locale":      func(p *sdk.Product) { p.Title["en"] = "T-shirt" },
		"image dropped":     func(p *sdk.Product) { p.Images = p.Images[1:] },
		"relative image":    func(p *sdk.Product) { p.Images[0].URL = "//img.pddpic.com/a.jpeg" },
		"source":            func(p *sdk.Product) { p.Source = "pdd" },
		"attribute dropped": func(p *sdk.Product) { p.Attributes = p.Attributes[1:] },
		"attribute by id":   func(p *sdk.Product) { p.Attributes[0].Name = "137041" },
	} {
		p := good()
		spoil(p)
		if d := e.Diff(p, nil); len(d) == 0 {
			t.Errorf("%s: not noticed", name)
		}
	}
	if d := e.Diff(nil, sdk.NotFound("x", "")); len(d) == 0 {
		t.Error("NOT_FOUND for goods on sale not noticed")
	}
	gone := s.Expect(s.Sample(sim.KindOffShelf))
	if d := gone.Diff(good(), nil); len(d) == 0 {
		t.Error("a product for goods off the shelf not noticed")
	}
	if d := gone.Diff(nil, sdk.Unavailable("x", "")); len(d) == 0 {
		t.Error("UNAVAILABLE instead of NOT_FOUND not noticed")
	}
}

func TestThrottleVariants(t *testing.T) {
	for th, want := range map[simkit.Throttle]string{simkit.ThrottleDefault: "1", simkit.ThrottleRetryAfter: "1", simkit.ThrottleNoHint: ""} {
		s, c := newSim(t, sim.Options{Rate: 5, Burst: 1, Throttle: th})
		call := func() answer { return post(t, s, form(s, c, sim.TypeGoodsList, nil).Encode()) }
		call()
		if a := call(); a.errCode != 70031 || a.retryAfter != want {
			t.Errorf("%s: %d, Retry-After %q; want 70031, %q", th, a.errCode, a.retryAfter, want)
		}
		if got := s.LimitCounts(); got != (simkit.Counts{Taken: 1, Refused: 1}) {
			t.Errorf("%s: limit counts %+v, want one taken, one refused", th, got)
		}
	}
}

func TestRateLimitCode52101(t *testing.T) {
	s, c := newSim(t, sim.Options{Rate: 5, Burst: 1, LimitCode: 52101, Throttle: simkit.ThrottleNoHint})
	call := func() answer { return post(t, s, form(s, c, sim.TypeGoodsList, nil).Encode()) }
	call()
	if a := call(); a.errCode != 52101 || a.errMsg != "当前接口被限流，请稍后重试" || a.retryAfter != "" {
		t.Errorf("over the limit: %d %q, Retry-After %q; want 52101 without a hint", a.errCode, a.errMsg, a.retryAfter)
	}
}

// pdd.goods.cat.template.get is served behind the same checks as every
// API (signature, token, per-app quota) and names the properties the
// goods detail gives by id; an unknown category is a business error.
func TestCategoryTemplate(t *testing.T) {
	s, c := newSim(t, sim.Options{Goods: 20})
	s.SetRateLimit(1, 3)
	var detail struct {
		R struct {
			CatID json.Number `json:"cat_id"` // numbers may come as strings
			Props []struct {
				TemplatePid json.Number `json:"template_pid"`
			} `json:"goods_property_list"`
		} `json:"goods_detail_get_response"`
	}
	d := post(t, s, form(s, c, sim.TypeGoodsDetail, map[string]string{"goods_id": s.Sample(sim.KindMultiSKU)}).Encode())
	raw, _ := json.Marshal(d.body)
	if err := json.Unmarshal(raw, &detail); err != nil || detail.R.CatID == "" || len(detail.R.Props) == 0 {
		t.Fatalf("detail: %v %s", err, raw)
	}
	a := post(t, s, form(s, c, sim.TypeCatTemplate, map[string]string{"cat_id": detail.R.CatID.String()}).Encode())
	var tpl struct {
		Properties []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(a.body["open_api_response"], &tpl); err != nil || a.errCode != 0 {
		t.Fatalf("template: %v %d %s", err, a.errCode, a.errMsg)
	}
	named := map[string]string{}
	for _, p := range tpl.Properties {
		named[strconv.FormatInt(p.ID, 10)] = p.Name
	}
	for _, p := range detail.R.Props {
		if named[p.TemplatePid.String()] == "" {
			t.Errorf("template_pid %s has no name in the template %v", p.TemplatePid, tpl.Properties)
		}
	}
	if a := post(t, s, form(s, c, sim.TypeCatTemplate, map[string]string{"cat_id": "1"}).Encode()); a.errCode != 50001 {
		t.Errorf("unknown category: %d %s", a.errCode, a.errMsg)
	}
	if a := post(t, s, form(s, c, sim.TypeCatTemplate, map[string]string{"cat_id": "1"}).Encode()); a.errCode != 70031 {
		t.Errorf("fourth call within a burst of three: %d %s, want 70031", a.errCode, a.errMsg)
	}
	if got := s.Stats().ByType[sim.TypeCatTemplate]; got != 3 {
		t.Errorf("%d template requests counted, want 3", got)
	}
}
