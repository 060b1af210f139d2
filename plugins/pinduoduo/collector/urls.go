package collector

import (
	"net/url"
	"strings"

	"github.com/marketsync/marketsync/sdk"
)

// CodeNotProductURL is the code of a URL that names no PDD goods.
const CodeNotProductURL = "not_a_pinduoduo_product_url"

// goodsHosts serve the goods page goods.html?goods_id=N: the mobile web
// site mobile.yangkeduo.com (what the app's share button and the promotion
// links of pdd.ddk.goods.promotion.url.generate lead to), its bare and www
// forms, and the pinduoduo.com hosts that lead to it.
var goodsHosts = map[string]bool{
	"mobile.yangkeduo.com": true,
	"yangkeduo.com":        true,
	"www.yangkeduo.com":    true,
	"pinduoduo.com":        true,
	"www.pinduoduo.com":    true,
}

// goodsPaths are the page names that show one goods: goods.html, and
// goods2.html, which some share links use for the same page.
var goodsPaths = map[string]bool{"/goods.html": true, "/goods2.html": true}

// resolveURL returns the goods id raw names, or a per-item INVALID error.
// It makes no network call, so a short link (p.pinduoduo.com/XXXX), whose
// target only the platform knows, is refused with a message saying so.
func resolveURL(raw string) (string, *sdk.Error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + s // pasted without a scheme
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", sdk.Invalid(CodeNotProductURL, "not an http(s) URL: "+raw)
	}
	host := strings.ToLower(u.Hostname())
	if host == "p.pinduoduo.com" || host == "p.yangkeduo.com" {
		return "", sdk.Invalid(CodeNotProductURL, "short link "+raw+" must be opened to learn its goods; give the goods.html URL it leads to")
	}
	if !goodsHosts[host] {
		return "", sdk.Invalid(CodeNotProductURL, "not a Pinduoduo goods page: "+raw)
	}
	if !goodsPaths[u.Path] {
		return "", sdk.Invalid(CodeNotProductURL, "not a Pinduoduo goods page (path "+u.Path+"): "+raw)
	}
	id := u.Query().Get("goods_id")
	if !validID(id) {
		return "", sdk.Invalid(CodeNotProductURL, "no goods_id in "+raw)
	}
	return id, nil
}

// validID reports whether id has the shape of a goods id: 1 to 18 digits,
// no leading zero.
func validID(id string) bool {
	if id == "" || len(id) > 18 || id[0] == '0' {
		return false
	}
	for i := range len(id) {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}
