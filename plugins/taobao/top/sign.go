package top

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strings"
)

// SignMethod is a value of the sign_method parameter: the digest the
// signature is made with.
type SignMethod string

// The sign methods the gateway accepts. "API调用方法详解" (open.taobao.com
// doc articleId=101617, mirrored at
// https://developer.alibaba.com/docs/doc.htm?articleId=101617&docType=1&treeId=780)
// lists sign_method as "hmac，md5，hmac-sha256"; the official Java SDK names
// the same three in com/taobao/api/Constants.java (SIGN_METHOD_MD5 "md5",
// SIGN_METHOD_HMAC "hmac", SIGN_METHOD_HMAC_SHA256 "hmac-sha256") and
// defaults to hmac-sha256 in DefaultTaobaoClient.java.
const (
	SignMD5        SignMethod = "md5"
	SignHMAC       SignMethod = "hmac" // HMAC-MD5 ("HmacMD5" in the Java SDK)
	SignHMACSHA256 SignMethod = "hmac-sha256"
)

// DefaultSignMethod is the Java SDK's default.
const DefaultSignMethod = SignHMACSHA256

// ParseSignMethod checks s against the methods the gateway accepts.
func ParseSignMethod(s string) (SignMethod, error) {
	switch m := SignMethod(s); m {
	case SignMD5, SignHMAC, SignHMACSHA256:
		return m, nil
	}
	return "", fmt.Errorf("sign_method %q: want md5, hmac or hmac-sha256", s)
}

// Sign returns the TOP signature of params with secret, as upper-case hex.
// It is TaobaoUtils.signTopRequest of the official Java SDK
// (src/main/java/com/taobao/api/internal/util/TaobaoUtils.java in
// opendingtalk/alibaba-dingtalk-service-sdk, which carries the SDK's
// com.taobao.api sources), step by step:
//
//  1. sort the parameter names ("Arrays.sort(keys)": ASCII order for the
//     ASCII names TOP uses; Go's byte order agrees with Java's UTF-16
//     order for any name made of BMP characters);
//  2. concatenate name and value of each parameter whose name and value are
//     both non-empty ("StringUtils.areNotEmpty(key, value)", where a value of
//     only white space counts as empty);
//  3. md5: MD5 of secret + string + secret; hmac: HMAC-MD5 keyed with the
//     secret over the string; hmac-sha256: HMAC-SHA256 likewise — the
//     string and the key as UTF-8;
//  4. "byte2hex": upper-case hex.
//
// The parameter "sign" itself is left out. The official Python and PHP
// SDKs (top/api/base.py sign, top/TopClient.php generateSign) sign empty
// values too, so a request is signed the same way by all of them only when
// it carries no empty value; Encode drops them for that reason.
func Sign(params map[string]string, secret string, method SignMethod) (string, error) {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k == "sign" || javaEmpty(k) || javaEmpty(v) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var h hash.Hash
	switch method {
	case SignMD5:
		h = md5.New()
		h.Write([]byte(secret))
	case SignHMAC:
		h = hmac.New(md5.New, []byte(secret))
	case SignHMACSHA256:
		h = hmac.New(sha256.New, []byte(secret))
	default:
		return "", fmt.Errorf("sign_method %q: want md5, hmac or hmac-sha256", method)
	}
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte(params[k]))
	}
	if method == SignMD5 {
		h.Write([]byte(secret))
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
}

// javaEmpty is the Java SDK's StringUtils.isEmpty: empty, or made only of
// characters for which java.lang.Character.isWhitespace is true. That is
// narrower than Go's unicode.IsSpace: the no-break spaces U+00A0, U+2007
// and U+202F and NEL U+0085 are not white space to Java, while the
// information separators U+001C to U+001F are.
func javaEmpty(s string) bool {
	for _, r := range s {
		if !javaWhitespace(r) {
			return false
		}
	}
	return true
}

// javaWhitespace follows the definition in the Javadoc of
// Character.isWhitespace: a Unicode space, line or paragraph separator
// other than the no-break spaces, or one of \t \n \v \f \r and
// U+001C–U+001F.
func javaWhitespace(r rune) bool {
	switch {
	case r >= '\t' && r <= '\r', r >= 0x1C && r <= 0x1F:
		return true
	case r == 0xA0 || r == 0x2007 || r == 0x202F:
		return false
	case r == ' ', r == 0x1680, r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}
