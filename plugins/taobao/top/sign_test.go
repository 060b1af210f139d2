package top

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// docParams is the worked example of "API调用方法详解" (open.taobao.com
// docId=101617): with secret "helloworld" and sign_method md5 the document
// gives the signature 66987CB115214E59E6EC978214934FB8. The hmac and
// hmac-sha256 values of the same parameters (with sign_method changed to
// match) were computed once with openssl:
//
//	S='app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344sessiontestsign_methodhmactimestamp2016-01-01 12:00:00v2.0'
//	printf '%s' "$S" | openssl dgst -md5 -hmac helloworld           # d56d7858…
//	printf '%s' "${S/hmac/hmac-sha256}" | openssl dgst -sha256 -hmac helloworld   # 04db15ad…
//	printf '%s' "helloworld${S/hmac/md5}helloworld" | openssl dgst -md5          # 66987cb1…
func docParams(method SignMethod) map[string]string {
	return map[string]string{
		"method":      "taobao.item.seller.get",
		"app_key":     "12345678",
		"session":     "test",
		"timestamp":   "2016-01-01 12:00:00",
		"format":      "json",
		"v":           "2.0",
		"sign_method": string(method),
		"fields":      "num_iid,title,nick,price,num",
		"num_iid":     "11223344",
	}
}

// cornerParams exercises the sort (a < aB < a_b < ab in byte order),
// non-ASCII values and secret, and a key that would sort before "sign".
// Expected digests from openssl, run once:
//
//	S='aone_valueaBtwoa_bthreeabfournum_iids620000000001,620000000002title红色 连衣裙 ¥59.9'
//	printf '%s' "$S" | openssl dgst -sha256 -hmac 'sëcret'        # 25c2d935…
//	printf '%s' "$S" | openssl dgst -md5 -hmac 'sëcret'           # 123e20be…
//	printf '%s' "sëcret${S}sëcret" | openssl dgst -md5            # 0fc7acb5…
var cornerParams = map[string]string{
	"ab":       "four",
	"a_b":      "three",
	"aB":       "two",
	"a":        "one_value",
	"title":    "红色 连衣裙 ¥59.9",
	"num_iids": "620000000001,620000000002",
	"sign":     "IGNORED",
}

// writtenOut is the Java SDK's signTopRequest spelled out without any code
// of the package: an insertion sort of the names, the concatenated string,
// and the digest over its UTF-8 bytes. It skips empty and blank values
// only for the plain ASCII spaces the vectors use.
func writtenOut(params map[string]string, secret string, method SignMethod) (joined, digest string) {
	var names []string
	for k, v := range params {
		if k == "sign" || strings.Trim(v, " \t") == "" {
			continue
		}
		names = append(names, k)
		for i := len(names) - 1; i > 0 && names[i] < names[i-1]; i-- {
			names[i], names[i-1] = names[i-1], names[i]
		}
	}
	for _, k := range names {
		joined += k + params[k]
	}
	var sum []byte
	switch method {
	case SignMD5:
		d := md5.Sum([]byte(secret + joined + secret))
		sum = d[:]
	case SignHMAC:
		m := hmac.New(md5.New, []byte(secret))
		m.Write([]byte(joined))
		sum = m.Sum(nil)
	case SignHMACSHA256:
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(joined))
		sum = m.Sum(nil)
	}
	return joined, strings.ToUpper(hex.EncodeToString(sum))
}

func TestSignKnownVectors(t *testing.T) {
	for name, tc := range map[string]struct {
		params map[string]string
		secret string
		method SignMethod
		joined string
		want   string
	}{
		"official md5 example": {
			params: docParams(SignMD5), secret: "helloworld", method: SignMD5,
			joined: "app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0",
			want:   "66987CB115214E59E6EC978214934FB8",
		},
		"official example, hmac": {
			params: docParams(SignHMAC), secret: "helloworld", method: SignHMAC,
			joined: "app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344sessiontestsign_methodhmactimestamp2016-01-01 12:00:00v2.0",
			want:   "D56D7858309C31B6251083A874D48273",
		},
		"official example, hmac-sha256": {
			params: docParams(SignHMACSHA256), secret: "helloworld", method: SignHMACSHA256,
			joined: "app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344sessiontestsign_methodhmac-sha256timestamp2016-01-01 12:00:00v2.0",
			want:   "04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8",
		},
		"sorting and non-ASCII, hmac-sha256": {
			params: cornerParams, secret: "sëcret", method: SignHMACSHA256,
			joined: "aone_valueaBtwoa_bthreeabfournum_iids620000000001,620000000002title红色 连衣裙 ¥59.9",
			want:   "25C2D93579F5448D94F441C3E295F7A99E72231E78C0E9BE817400581C4BD2BE",
		},
		"sorting and non-ASCII, hmac": {
			params: cornerParams, secret: "sëcret", method: SignHMAC,
			joined: "aone_valueaBtwoa_bthreeabfournum_iids620000000001,620000000002title红色 连衣裙 ¥59.9",
			want:   "123E20BEF24EB53F58BC1E0C91988E62",
		},
		"sorting and non-ASCII, md5": {
			params: cornerParams, secret: "sëcret", method: SignMD5,
			joined: "aone_valueaBtwoa_bthreeabfournum_iids620000000001,620000000002title红色 连衣裙 ¥59.9",
			want:   "0FC7ACB5910A395DB39405500A7F787A",
		},
		// printf '%s' 'a1b 2' | openssl dgst -sha256 -hmac s
		"empty and blank values are not signed": {
			params: map[string]string{"a": "1", "b": " 2", "c": "   ", "d": ""}, secret: "s", method: SignHMACSHA256,
			joined: "a1b 2",
			want:   "980145628AD5F1A05EADD8FDF7DFAA1ABEC5863191BA6D494EC70A2B6CFEE634",
		},
	} {
		t.Run(name, func(t *testing.T) {
			joined, digest := writtenOut(tc.params, tc.secret, tc.method)
			if joined != tc.joined {
				t.Fatalf("written-out string\n got %q\nwant %q", joined, tc.joined)
			}
			if digest != tc.want {
				t.Fatalf("written-out digest %s, want %s", digest, tc.want)
			}
			got, err := Sign(tc.params, tc.secret, tc.method)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Sign = %s, want %s", got, tc.want)
			}
		})
	}
}

// Java's StringUtils.isEmpty uses Character.isWhitespace, for which the
// no-break space is not white space: the Java SDK signs a value of U+00A0,
// so must we (printf '%s' "a1b"$'\u00a0' | openssl dgst -sha256 -hmac s).
// Information separators, on the other hand, are white space to Java.
func TestSignFollowsJavaWhitespace(t *testing.T) {
	got, _ := Sign(map[string]string{"a": "1", "b": "\u00a0"}, "s", SignHMACSHA256)
	if want := "6CDFB03FAB51693A60ACB73955D2E6699B9B1DF3D9ADC45268E29CB5CA7AEE10"; got != want {
		t.Errorf("no-break space value: %s, want %s", got, want)
	}
	got, _ = Sign(map[string]string{"a": "1", "b": "\x1c\u3000\t"}, "s", SignHMACSHA256)
	if want := "F28CE911BCA3AA1AE3FC1E869317763E0D7BFC085113560A52A2E9014E2A5D24"; got != want { // a1 alone
		t.Errorf("separator-only value: %s, want %s (signed as absent)", got, want)
	}
}

func TestSignRejectsUnknownMethod(t *testing.T) {
	if _, err := Sign(docParams("sha1"), "x", "sha1"); err == nil {
		t.Error("sign_method sha1 accepted")
	}
	if _, err := ParseSignMethod("HMAC-SHA256"); err == nil {
		t.Error("upper-case sign_method accepted; the documented values are lower case")
	}
}
