package collector

import (
	"context"
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

func TestResolveURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://www.aliexpress.com/item/1005006057059635.html":                                     "1005006057059635",
		"https://aliexpress.com/item/1005006057059635.html?spm=a2g0o.home.0.0&gatewayAdapt=glo2usa": "1005006057059635",
		"http://www.aliexpress.com/item/1005006057059635.html#nav-review":                           "1005006057059635",
		"https://www.aliexpress.us/item/3256805870744883.html":                                      "3256805870744883",
		"https://m.aliexpress.com/item/1005006057059635.html":                                       "1005006057059635",
		"https://m.aliexpress.us/item/3256805870744883.html":                                        "3256805870744883",
		"https://aliexpress.ru/item/1005006057059635.html":                                          "1005006057059635",
		"https://www.aliexpress.ru/item/1005006057059635.html?sku_id=12000035530517031":             "1005006057059635",
		"https://es.aliexpress.com/item/1005006057059635.html":                                      "1005006057059635",
		"https://WWW.AliExpress.com/item/1005006057059635.html":                                     "1005006057059635",
		"www.aliexpress.com/item/1005006057059635.html":                                             "1005006057059635",
		"  https://www.aliexpress.com/item/1005006057059635.html  ":                                 "1005006057059635",
		"https://www.aliexpress.com/item/Women-T-Shirt-Short-Sleeves/32667038134.html":              "32667038134",
		"https://m.aliexpress.com/i/32667038134.html":                                               "32667038134",
		"https://www.aliexpress.com/store/product/Some-Title/1234567_32667038134.html":              "32667038134",
		"https://www.aliexpress.com:443/item/1005006057059635.html":                                 "1005006057059635",
	} {
		if got, err := ResolveURL(raw); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %s", raw, got, err, want)
		}
	}
}

func TestResolveURLRefuses(t *testing.T) {
	for raw, code := range map[string]string{
		"https://a.aliexpress.com/_mKxyzAb":                                 CodeShortLink,
		"https://s.click.aliexpress.com/e/_DlLb9Ab":                         CodeShortLink,
		"https://www.aliexpress.com/store/1102923213":                       CodeNotProductURL,
		"https://www.aliexpress.com/w/wholesale-phone-case.html":            CodeNotProductURL,
		"https://www.aliexpress.com/category/100003109/women-clothing.html": CodeNotProductURL,
		"https://www.aliexpress.com/item/abc.html":                          CodeNotProductURL,
		"https://www.aliexpress.com/item/01005006057059635.html":            CodeNotProductURL,
		"https://www.aliexpress.com/item/12345.html":                        CodeNotProductURL,
		"https://www.aliexpress.com/item/10050060570596351234.html":         CodeNotProductURL,
		"https://www.aliexpress.com/item/1005006057059635.htm":              CodeNotProductURL,
		"https://item.taobao.com/item.htm?id=1005006057059635":              CodeNotProductURL,
		"https://www.amazon.com/item/1005006057059635.html":                 CodeNotProductURL,
		"https://aliexpress.com.evil.example/item/1005006057059635.html":    CodeNotProductURL,
		"https://notaliexpress.com/item/1005006057059635.html":              CodeNotProductURL,
		"ftp://www.aliexpress.com/item/1005006057059635.html":               CodeNotProductURL,
		"": CodeNotProductURL,
		"https://www.aliexpress.com/item/1005006057059635.html/../../x.html": CodeNotProductURL,
	} {
		id, err := ResolveURL(raw)
		if id != "" || err == nil || err.Kind != sdk.KindInvalid || err.Code != code {
			t.Errorf("%q: %q, %v; want INVALID %s", raw, id, err, code)
		}
	}
}

func TestResolveURLsKeepsOrderAndFailsPerURL(t *testing.T) {
	urls := []string{"https://www.aliexpress.com/item/1005006057059635.html", "https://a.aliexpress.com/_x", "https://aliexpress.ru/item/32667038134.html"}
	resp, err := New().ResolveURLs(context.Background(), &sdk.ResolveURLsRequest{URLs: urls})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 3 || resp.Results[0].ID != "1005006057059635" || resp.Results[1].Err == nil || resp.Results[2].ID != "32667038134" {
		t.Errorf("%+v", resp.Results)
	}
	for i, r := range resp.Results {
		if r.URL != urls[i] {
			t.Errorf("result %d is for %q", i, r.URL)
		}
	}
}
