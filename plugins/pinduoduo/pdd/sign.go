package pdd

import (
	"crypto/md5"
	"encoding/hex"
	"sort"
	"strings"
)

// Sign returns the sign parameter of a gateway call whose other parameters
// are params (a "sign" entry, if any, is ignored).
//
// The rule is the platform's, as the official SDKs implement it:
//
//   - Open platform access guide, part 3, quoted in the signing section of
//     every API page: "所有参数进行按照首字母先后顺序排列; 把排序后的结果按照参数名+
//     参数值的方式拼接; 拼装好的字符串首尾拼接client_secret进行md5加密后转大写"
//     (sort all parameters by name, concatenate name+value, put
//     client_secret at both ends, MD5, upper case).
//   - Official PHP POP SDK 0.0.2, Com\Pdd\Pop\Sdk\PopHttpClient (copies in
//     dawn-frost/pdd-sdk and HeyFei/pdd-php-module, src/PopHttpClient.php):
//     makeSign does ksort($params), then toUrlParams appends $k . $v for
//     every key other than "sign" whose value is not "" (`$v !== ""`), then
//     md5(client_secret . $string . client_secret) and strtoupper.
//
// So parameters with an empty value take no part in the signature. The
// documents say "all parameters" and some community SDKs sign an empty
// value as its bare name; the official SDK avoids the question by never
// sending an empty value (PopBaseHttpRequest::setUserParam drops null and
// "", and access_token is only added when set), and so does this client
// (see Client.form). Values are signed exactly as sent: the SDK turns
// booleans into "true"/"false" and objects and arrays into their JSON text
// before signing, and callers here pass those strings.
//
// Names are compared byte by byte, which is PHP's ksort order for the
// platform's parameter names (none is numeric) and ASCII order: "aB" <
// "a_b" < "ab".
func Sign(secret string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	size := 2 * len(secret)
	for k, v := range params {
		if k == "sign" || v == "" {
			continue
		}
		keys = append(keys, k)
		size += len(k) + len(v)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(secret)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(params[k])
	}
	b.WriteString(secret)
	sum := md5.Sum([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
