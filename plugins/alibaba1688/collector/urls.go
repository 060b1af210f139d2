package collector

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/marketsync/marketsync/sdk"
)

// CodeNotOfferURL is the per-URL error of ResolveURLs.
const CodeNotOfferURL = "not_a_1688_offer_url"

// offerID returns the offer id a 1688 product page URL names. The forms
// are the site's own:
//
//	https://detail.1688.com/offer/<id>.html          desktop
//	https://m.1688.com/offer/<id>.html               mobile
//	https://detail.m.1688.com/page/index.html?offerId=<id>   mobile detail page
//
// with any query (spm tracking and the like) or fragment. A URL without a
// scheme is read as https. Nothing is fetched.
func offerID(raw string) (string, *sdk.Error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", sdk.Invalid(CodeNotOfferURL, fmt.Sprintf("%q is not a URL: %v", raw, err))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", sdk.Invalid(CodeNotOfferURL, fmt.Sprintf("%q is not a web address", raw))
	}
	var id string
	switch strings.ToLower(u.Hostname()) {
	case "detail.1688.com", "m.1688.com":
		if rest, ok := strings.CutPrefix(u.Path, "/offer/"); ok {
			id, _ = strings.CutSuffix(rest, ".html")
			if id == rest {
				id = ""
			}
		}
	case "detail.m.1688.com":
		if u.Path == "/page/index.html" {
			id = u.Query().Get("offerId")
		}
	}
	if !isOfferID(id) {
		return "", sdk.Invalid(CodeNotOfferURL, fmt.Sprintf("%q is not a 1688 offer page", raw))
	}
	return id, nil
}

// isOfferID reports whether s can be a 1688 offer id: a positive decimal
// number that fits the platform's Long.
func isOfferID(s string) bool {
	return s != "" && len(s) <= 19 && allDigits(s) && s[0] != '0'
}
