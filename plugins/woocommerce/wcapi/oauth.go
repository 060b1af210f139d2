package wcapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// Names of the OAuth 1.0a parameters WooCommerce requires
// (get_oauth_parameters in class-wc-rest-authentication.php).
const (
	OAuthConsumerKey     = "oauth_consumer_key"
	OAuthTimestamp       = "oauth_timestamp"
	OAuthNonce           = "oauth_nonce"
	OAuthSignature       = "oauth_signature"
	OAuthSignatureMethod = "oauth_signature_method"
)

// SignatureMethod is the method the client signs with. WooCommerce accepts
// HMAC-SHA1 and HMAC-SHA256 and nothing else.
const SignatureMethod = "HMAC-SHA256"

// Encode is rawurlencode as wc_rest_urlencode_rfc3986 applies it: every
// byte but the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) as
// %XX with upper-case hex.
func Encode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		const hex = "0123456789ABCDEF"
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// BaseString is the string WooCommerce signs (check_oauth_signature):
// the upper-case method, the encoded URL without its query (the store's
// home URL and the request path, in the scheme the request came in), and
// the parameters — every query and form parameter and the oauth_ ones
// but oauth_signature — sorted by name with strcmp, name and value each
// encoded, joined as name=value, each pair encoded again and the pairs
// joined with %26. For one value per name this is RFC 5849's base string.
func BaseString(method, baseURL string, params map[string]string) string {
	names := make([]string, 0, len(params))
	for k := range params {
		if k != OAuthSignature {
			names = append(names, k)
		}
	}
	sort.Strings(names) // byte order, as PHP's strcmp
	pairs := make([]string, len(names))
	for i, k := range names {
		pairs[i] = Encode(Encode(k) + "=" + Encode(params[k]))
	}
	return strings.ToUpper(method) + "&" + Encode(baseURL) + "&" + strings.Join(pairs, "%26")
}

// Sign returns the base64 HMAC-SHA256 of the base string keyed with the
// consumer secret and "&" (the token secret is empty in one-legged OAuth).
func Sign(method, baseURL string, params map[string]string, consumerSecret string) string {
	mac := hmac.New(sha256.New, []byte(consumerSecret+"&"))
	mac.Write([]byte(BaseString(method, baseURL, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Flatten gives one value per name, the last one, as PHP's $_GET holds a
// name repeated without brackets.
func Flatten(v url.Values) map[string]string {
	out := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}
