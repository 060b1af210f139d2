package collector

import (
	"context"
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

func TestResolveURLs(t *testing.T) {
	good := map[string]string{
		"https://detail.1688.com/offer/584051070147.html":                                   "584051070147",
		"http://detail.1688.com/offer/584051070147.html?spm=a2615.7691456.newlist.1#detail": "584051070147",
		"detail.1688.com/offer/584051070147.html":                                           "584051070147",
		"https://DETAIL.1688.com/offer/584051070147.html":                                   "584051070147",
		"https://m.1688.com/offer/570027659932.html":                                        "570027659932",
		"https://m.1688.com/offer/570027659932.html?sk=consign&spm=a26g8.7664812":           "570027659932",
		"https://detail.m.1688.com/page/index.html?offerId=612000000011":                    "612000000011",
		"https://detail.m.1688.com/page/index.html?spm=x&offerId=612000000011&sk=order":     "612000000011",
		"  https://detail.1688.com/offer/1.html  ":                                          "1",
	}
	bad := []string{
		"https://item.taobao.com/item.htm?id=584051070147",
		"https://detail.1688.com/offer/abc.html",
		"https://detail.1688.com/offer/584051070147",
		"https://detail.1688.com/offer/.html",
		"https://detail.1688.com/offer/0123.html",
		"https://detail.1688.com/offers/584051070147.html",
		"https://fake-detail.1688.com.example/offer/584051070147.html",
		"https://detail.m.1688.com/page/index.html",
		"https://detail.m.1688.com/page/other.html?offerId=612000000011",
		"https://detail.m.1688.com/page/index.html?offerId=61x",
		"https://m.1688.com/offer/5840510701475840510701.html",
		"ftp://detail.1688.com/offer/584051070147.html",
		"584051070147",
		"",
		"%zz",
	}
	var urls []string
	for u := range good {
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
		if want, ok := good[r.URL]; ok {
			if r.ID != want || r.Err != nil {
				t.Errorf("%q: got %q, %v; want %s", r.URL, r.ID, r.Err, want)
			}
		} else if r.ID != "" || r.Err == nil || r.Err.Kind != sdk.KindInvalid || r.Err.Code != CodeNotOfferURL {
			t.Errorf("%q: got %q, %v; want INVALID %s", r.URL, r.ID, r.Err, CodeNotOfferURL)
		}
	}
}

func TestCursorRoundTripAndRefusals(t *testing.T) {
	c := cursor{Version: 1, Shop: "BBBshop", Page: 3, Size: 20}
	got, err := decodeCursor(c.encode())
	if err != nil || got != c {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for name, s := range map[string]string{
		"not base64":    "***",
		"not json":      "bm90IGpzb24",
		"wrong version": cursor{Version: 2, Shop: "s", Page: 1, Size: 1}.encode(),
		"page zero":     cursor{Version: 1, Shop: "s", Page: 0, Size: 1}.encode(),
		"huge page":     cursor{Version: 1, Shop: "s", Page: 1, Size: 51}.encode(),
		"no shop":       cursor{Version: 1, Page: 1, Size: 1}.encode(),
	} {
		if _, err := decodeCursor(s); err == nil || err.Code != CodeBadCursor {
			t.Errorf("%s: got %v, want %s", name, err, CodeBadCursor)
		}
	}
}
