package iop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"unicode"
)

// SignMethod is the sign_method this client sends. The AliExpress IOP SDKs
// sign with HMAC-SHA256 and name it "sha256" (Java SDK
// com/global/iop/util/Constants.java: SIGN_METHOD_SHA256 = "sha256", the
// default of BaseExecutor.signMethod; Python SDK iop/base.py sends
// P_SIGN_METHOD: "sha256"). IopUtils.signApiRequest also accepts the alias
// "HmacSHA256" for the same algorithm.
const SignMethod = "sha256"

// paramSign is the parameter that carries the signature; it is never part
// of the signed string.
const paramSign = "sign"

// Sign returns the signature of one request: the upper-case hexadecimal
// HMAC-SHA256, keyed by the app secret, of StringToSign(apiPath, params).
//
// apiPath is empty for method-style calls to /sync (the business APIs,
// named by the "method" parameter) and the API path, such as
// "/auth/token/create", for path-style calls to /rest. This is how the
// official SDKs do it:
//
//   - Java SDK (repo emsaniey20/java, a copy of the AliExpress IOP Java SDK),
//     src/main/java/com/global/iop/api/TopExecutor.java signs /sync calls
//     with IopUtils.signApiRequest("", params, …) and
//     api/GopExecutor.java signs /rest calls with the request's API name.
//   - Python SDK iop-sdk-python-20220609 (repo easy2digital/aliexpressiop,
//     iop/base.py, sign()): `if "/" in api` the API name is prefixed,
//     otherwise only the sorted key+value pairs are hashed.
//   - Documentation, "Signature algorithm"
//     (https://developer.alibaba.com/docs/doc.htm?articleId=120692&docType=1&treeId=727):
//     sort all parameters but "sign" by name in ASCII order, concatenate
//     name and value, put the API name in front, HMAC_SHA256, hex.
func Sign(secret, apiPath string, params map[string]string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(StringToSign(apiPath, params)))
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}

// StringToSign is the exact text Sign hashes: apiPath followed by name and
// value of every parameter, sorted by name, leaving out "sign" and every
// parameter whose value is empty or only white space.
//
// Leaving blank values out follows the Java SDK, whose
// IopUtils.signApiRequest appends a pair only `if (areNotEmpty(key,
// value))`, where isEmpty is true for null, "" and strings of
// Character.isWhitespace characters; its IopHashMap.put never even stores
// such a value, so it is neither signed nor sent. (The Python SDK appends
// the name of an empty parameter with no value; the two agree only when no
// blank value is sent, which is why Client drops blank parameters before
// sending.)
//
// Names are sorted by byte, which is the order of Java's Arrays.sort and
// Python's sorted() for the ASCII names the platform uses.
func StringToSign(apiPath string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	size := len(apiPath)
	for k, v := range params {
		if k == paramSign || isBlank(k) || isBlank(v) {
			continue
		}
		keys = append(keys, k)
		size += len(k) + len(v)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(apiPath)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(params[k])
	}
	return b.String()
}

// isBlank mirrors the Java SDK's IopUtils.isEmpty: empty, or made only of
// characters for which java.lang.Character.isWhitespace is true.
func isBlank(s string) bool {
	for _, r := range s {
		if !javaWhitespace(r) {
			return false
		}
	}
	return true
}

// javaWhitespace is java.lang.Character.isWhitespace: Unicode space,
// line and paragraph separators except the non-breaking ones (U+00A0,
// U+2007, U+202F), and the ASCII controls TAB, LF, VT, FF, CR and FS..US.
func javaWhitespace(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\v', r == '\f', r == '\r':
		return true
	case r >= 0x1C && r <= 0x1F:
		return true
	case r == 0xA0, r == 0x2007, r == 0x202F:
		return false
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}
