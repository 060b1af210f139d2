package collector

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/marketsync/marketsync/sdk"
)

// Codes of ResolveURLs' per-URL errors.
const (
	CodeNotProductURL = "not_a_product_url"
	CodeShortLink     = "short_link"
)

// ResolveURLs implements sdk.URLResolver without calling the platform.
func (p *Plugin) ResolveURLs(_ context.Context, req *sdk.ResolveURLsRequest) (*sdk.ResolveURLsResponse, error) {
	out := &sdk.ResolveURLsResponse{Results: make([]sdk.ResolveResult, len(req.URLs))}
	for i, raw := range req.URLs {
		id, err := ResolveURL(raw)
		out.Results[i] = sdk.ResolveResult{URL: raw, ID: id, Err: err}
	}
	return out, nil
}

// Sites whose product pages ResolveURL knows, by registrable domain: the
// global site and its language subdomains (www., m., es., fr., …), the US
// site and the Russian one.
var productSites = []string{"aliexpress.com", "aliexpress.us", "aliexpress.ru"}

// Hosts of links that only redirect, through AliExpress's servers, to a
// page: the app's share links (a.aliexpress.com/_mKxyz) and affiliate
// clicks. Nothing in them names the product.
var redirectHosts = []string{"a.aliexpress.com", "s.click.aliexpress.com", "click.aliexpress.com"}

// productPaths are the paths of a product page, the id always last before
// ".html":
//
//	/item/1005006057059635.html                        desktop, m., .us, .ru
//	/item/Women-T-Shirt-Short-Sleeve/32667038134.html  older desktop, with a slug
//	/i/32667038134.html                                older mobile
//	/store/product/Some-Title/1234567_32667038134.html store pages
var productPaths = []*regexp.Regexp{
	regexp.MustCompile(`^/item/(?:[^/]+/)?([1-9][0-9]{5,18})\.html$`),
	regexp.MustCompile(`^/i/([1-9][0-9]{5,18})\.html$`),
	regexp.MustCompile(`^/store/product/[^/]+/[0-9]+_([1-9][0-9]{5,18})\.html$`),
}

// ResolveURL returns the product id a product page URL names, or a
// per-item INVALID error: for a URL of another site, for a page of this
// one that is not a product, and for a short or affiliate link, which
// names its product only after a redirect that would need the network.
// A URL without a scheme ("aliexpress.com/item/1.html") is read as https.
func ResolveURL(raw string) (string, *sdk.Error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return "", sdk.Invalid(CodeNotProductURL, "not an http(s) URL")
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	for _, h := range redirectHosts {
		if host == h {
			return "", sdk.Invalid(CodeShortLink, "a "+h+" link names its product only through a redirect on the network; open it and give the product page it leads to")
		}
	}
	if !onProductSite(host) {
		return "", sdk.Invalid(CodeNotProductURL, host+" is not an AliExpress site")
	}
	for _, re := range productPaths {
		if m := re.FindStringSubmatch(u.EscapedPath()); m != nil {
			return m[1], nil
		}
	}
	return "", sdk.Invalid(CodeNotProductURL, "not the URL of a product page")
}

func onProductSite(host string) bool {
	for _, site := range productSites {
		if host == site || strings.HasSuffix(host, "."+site) {
			return true
		}
	}
	return false
}
