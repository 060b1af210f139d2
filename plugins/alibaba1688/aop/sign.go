package aop

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Param is one request parameter. Calls keep parameters in a slice, not a
// map, so the body is written in a fixed order and a parameter can never
// be signed twice.
type Param struct {
	Key, Value string
}

// URLPath is the part of the call's URL that is signed: from the protocol
// ("param2") to the app key, with no leading slash and without the
// "/openapi/" prefix. HttpSupport.getProtocolRequestPath in the Java SDK
// builds it as protocol/version/namespace/name/appKey, and the Python SDK's
// _build_sign_url_path as '%s/%s/%s' % ('param2', 'version/namespace/name',
// appkey); the request itself goes to /openapi/ followed by this path.
func URLPath(version int, namespace, name, appKey string) string {
	var b strings.Builder
	b.Grow(len("param2/") + 4 + len(namespace) + len(name) + len(appKey) + 3)
	b.WriteString("param2/")
	b.WriteString(strconv.Itoa(version))
	b.WriteByte('/')
	b.WriteString(namespace)
	b.WriteByte('/')
	b.WriteString(name)
	b.WriteByte('/')
	b.WriteString(appKey)
	return b.String()
}

// Sign returns the _aop_signature of a call: the upper-case hex HMAC-SHA1,
// keyed by the app secret, of urlPath followed by every parameter's key
// and value joined (no separator), these joined strings sorted and
// concatenated. It is SignatureUtil.hmacSha1(path, parameters, signingKey)
// of the Java SDK:
//
//	mac.update(path.getBytes(UTF8));
//	for (entry : parameters) parameterToSort.add(entry.getKey() + entry.getValue());
//	Collections.sort(parameterToSort);
//	for (p : parameterToSort) mac.update(p.getBytes(UTF8));
//
// followed by encodeHexStr, whose digit table is "0123456789ABCDEF".
//
// Two details matter. The joined strings are sorted, not the keys: keys
// "a" and "ab" with values "z" and "1" give "az" and "ab1", which sort
// "ab1", "az", although "a" sorts before "ab". And the sort is Java's
// String.compareTo, which compares UTF-16 code units; it differs from a
// byte-wise (code point) sort only when a supplementary character (an
// emoji, say) meets a character at or above U+E000 at the same position.
// The Python SDK's sorted() compares code points and would disagree there;
// the gateway is the Java stack, so we follow Java. Parameters with empty
// values are signed like any other (the Java SDK signs whatever is in its
// map). The _aop_signature parameter itself is never signed.
func Sign(secret, urlPath string, params []Param) string {
	joined := make([]string, 0, len(params))
	for _, p := range params {
		if p.Key == ParamSignature {
			continue
		}
		joined = append(joined, p.Key+p.Value)
	}
	slices.SortFunc(joined, compareUTF16)
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(urlPath))
	for _, s := range joined {
		mac.Write([]byte(s))
	}
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}

// compareUTF16 orders strings as Java's String.compareTo does: by UTF-16
// code units. ASCII-only strings take the fast path, where byte order is
// the same thing.
func compareUTF16(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return strings.Compare(a, b)
	}
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub)
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
