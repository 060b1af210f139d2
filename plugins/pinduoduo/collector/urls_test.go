package collector

import (
	"context"
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

func TestResolveURLs(t *testing.T) {
	ok := map[string]string{
		"https://mobile.yangkeduo.com/goods.html?goods_id=126050052488":                             "126050052488",
		"http://mobile.yangkeduo.com/goods2.html?goods_id=126050052488&page_from=35&_wvx=10":        "126050052488",
		"https://mobile.yangkeduo.com/goods.html?_wv=41729&goods_id=31337&refer_share_channel=copy": "31337",
		"https://yangkeduo.com/goods.html?goods_id=126050052488":                                    "126050052488",
		"https://www.yangkeduo.com/goods.html?goods_id=126050052488":                                "126050052488",
		"https://pinduoduo.com/goods.html?goods_id=126050052488":                                    "126050052488",
		"https://www.pinduoduo.com/goods.html?goods_id=126050052488#top":                            "126050052488",
		"mobile.yangkeduo.com/goods.html?goods_id=126050052488":                                     "126050052488",
		"  https://MOBILE.yangkeduo.com/goods.html?goods_id=126050052488  ":                         "126050052488",
	}
	bad := []string{
		"https://p.pinduoduo.com/HT6lDsK3",                                // short link: needs the network
		"https://mobile.yangkeduo.com/mall_page.html?mall_id=501234567",   // a shop, not a goods
		"https://mobile.yangkeduo.com/goods.html",                         // no goods_id
		"https://mobile.yangkeduo.com/goods.html?goods_id=abc",            // not an id
		"https://mobile.yangkeduo.com/goods.html?goods_id=0123",           // not an id's shape
		"https://item.taobao.com/item.htm?id=126050052488",                // another platform
		"https://mobile.yangkeduo.com.evil.example/goods.html?goods_id=1", // look-alike host
		"ftp://mobile.yangkeduo.com/goods.html?goods_id=1",                // not http(s)
		"https://jinbao.pinduoduo.com/goods.html?goods_id=126050052488",   // promoters' site
		"",
	}
	var urls []string
	for u := range ok {
		urls = append(urls, u)
	}
	urls = append(urls, bad...)
	resp, err := New().ResolveURLs(context.Background(), &sdk.ResolveURLsRequest{URLs: urls})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != len(urls) {
		t.Fatalf("%d results for %d URLs", len(resp.Results), len(urls))
	}
	for i, r := range resp.Results {
		if r.URL != urls[i] {
			t.Errorf("result %d is for %q, want %q", i, r.URL, urls[i])
		}
		if want, good := ok[r.URL]; good {
			if r.ID != want || r.Err != nil {
				t.Errorf("%q: %q %v, want %q", r.URL, r.ID, r.Err, want)
			}
		} else if r.Err == nil || r.Err.Kind != sdk.KindInvalid || r.ID != "" {
			t.Errorf("%q: %q %v, want INVALID", r.URL, r.ID, r.Err)
		}
	}
}
