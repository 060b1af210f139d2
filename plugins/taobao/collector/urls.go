package collector

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/marketsync/marketsync/sdk"
)

// ItemURL is the canonical desktop page of an item. item.taobao.com serves
// Taobao items and sends Tmall ones on to detail.tmall.com, so one form
// names both.
func ItemURL(id string) string { return "https://item.taobao.com/item.htm?id=" + id }

// itemPages are the product page forms of Taobao and Tmall whose item id
// is the "id" query parameter: desktop, the H5 pages the apps share, and
// the international site.
var itemPages = map[string]string{
	"item.taobao.com":    "/item.htm",
	"detail.tmall.com":   "/item.htm",
	"detail.m.tmall.com": "/item.htm",
	"h5.m.taobao.com":    "/awp/core/detail.htm",
	"m.intl.taobao.com":  "/detail/detail.html",
}

// ResolveURLs implements sdk.URLResolver. Besides the forms in itemPages
// it reads the old WAP form a.m.taobao.com/i<id>.htm. A URL written
// without a scheme ("item.taobao.com/item.htm?id=1") is read as https.
// Anything else, or an id that is not a positive decimal number, is a
// per-URL INVALID. No platform call is made.
func (p *Plugin) ResolveURLs(_ context.Context, req *sdk.ResolveURLsRequest) (*sdk.ResolveURLsResponse, error) {
	resp := &sdk.ResolveURLsResponse{Results: make([]sdk.ResolveResult, len(req.URLs))}
	for i, raw := range req.URLs {
		id, err := ParseItemURL(raw)
		resp.Results[i] = sdk.ResolveResult{URL: raw, ID: id}
		if err != nil {
			resp.Results[i].Err = sdk.Invalid("not_an_item_url", err.Error())
		}
	}
	return resp, nil
}

// ParseItemURL returns the item id a Taobao or Tmall product URL names.
func ParseItemURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + strings.TrimPrefix(s, "//")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q is not a web page", raw)
	}
	host := strings.ToLower(u.Hostname())
	var id string
	switch {
	case host == "a.m.taobao.com":
		id, _ = strings.CutPrefix(u.Path, "/i")
		var ok bool
		if id, ok = strings.CutSuffix(id, ".htm"); !ok {
			id = ""
		}
	case itemPages[host] != "" && u.Path == itemPages[host]:
		id = u.Query().Get("id")
	default:
		return "", fmt.Errorf("%q is not a Taobao or Tmall item page", raw)
	}
	if !validID(id) {
		return "", fmt.Errorf("%q names no item id", raw)
	}
	return id, nil
}

// validID accepts what TOP's num_iid can be: a positive decimal integer of
// at most 19 digits (an int64, the Java SDK's Long), without sign or
// leading zero.
func validID(id string) bool {
	if id == "" || len(id) > 19 || id[0] == '0' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return len(id) < 19 || id <= "9223372036854775807"
}
