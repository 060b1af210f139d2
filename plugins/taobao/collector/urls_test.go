package collector

import (
	"context"
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

func TestParseItemURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://item.taobao.com/item.htm?id=652311040589":                      "652311040589",
		"http://item.taobao.com/item.htm?spm=a230r.1.14.1&id=652311040589&ns=1": "652311040589",
		"https://detail.tmall.com/item.htm?id=600123456789&skuId=5012345678901": "600123456789",
		"https://detail.m.tmall.com/item.htm?id=600123456789":                   "600123456789",
		"https://h5.m.taobao.com/awp/core/detail.htm?id=652311040589&ft=t":      "652311040589",
		"https://m.intl.taobao.com/detail/detail.html?id=652311040589":          "652311040589",
		"http://a.m.taobao.com/i652311040589.htm":                               "652311040589",
		"item.taobao.com/item.htm?id=652311040589":                              "652311040589",
		"//detail.tmall.com/item.htm?id=600123456789":                           "600123456789",
		"  https://ITEM.TAOBAO.COM/item.htm?id=652311040589  ":                  "652311040589",
		"https://item.taobao.com/item.htm?id=9223372036854775807":               "9223372036854775807",
	} {
		got, err := ParseItemURL(raw)
		if err != nil || got != want {
			t.Errorf("ParseItemURL(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{
		"https://item.jd.com/100012043978.html",
		"https://detail.1688.com/offer/652311040589.html",
		"https://item.taobao.com/item.htm",
		"https://item.taobao.com/item.htm?id=",
		"https://item.taobao.com/item.htm?id=abc",
		"https://item.taobao.com/item.htm?id=0652311040589",
		"https://item.taobao.com/item.htm?id=-1",
		"https://item.taobao.com/item.htm?id=9223372036854775808",
		"https://item.taobao.com/search.htm?id=652311040589",
		"https://evil.example/item.taobao.com/item.htm?id=1",
		"https://item.taobao.com.evil.example/item.htm?id=1",
		"https://a.m.taobao.com/i652311040589.html",
		"ftp://item.taobao.com/item.htm?id=1",
		"https://shop123.taobao.com/",
		"",
	} {
		if id, err := ParseItemURL(raw); err == nil {
			t.Errorf("ParseItemURL(%q) = %q, want an error", raw, id)
		}
	}
}

func TestResolveURLsIsPerURL(t *testing.T) {
	resp, err := New().ResolveURLs(context.Background(), &sdk.ResolveURLsRequest{URLs: []string{
		"https://detail.tmall.com/item.htm?id=600123456789", "https://item.jd.com/1.html",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Results[0]; r.ID != "600123456789" || r.Err != nil {
		t.Errorf("first: %+v", r)
	}
	if r := resp.Results[1]; r.ID != "" || r.Err == nil || r.Err.Kind != sdk.KindInvalid {
		t.Errorf("second: %+v", r)
	}
}
