package aop_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/plugins/alibaba1688/aop"
)

// Each vector spells out the official algorithm by hand: the url path, the
// key+value strings already sorted, the exact string that is hashed, and
// the expected upper-case hex digest. The digests were computed once,
// outside Go, with
//
//	printf '%s' '<the hashed string>' | openssl dgst -sha1 -hmac '<secret>'
//
// and upper-cased; the test also recomputes each one with crypto/hmac from
// the written-out string, so a wrong vector and a wrong Sign cannot agree
// by accident.
var vectors = map[string]struct {
	secret string
	path   string
	params []aop.Param
	// sorted is the key+value strings in the order the Java SDK's
	// Collections.sort leaves them.
	sorted []string
	want   string
}{
	// The worked example of https://open.1688.com/api/sysSignature.htm:
	// ?b=2&a=1 with appKey 1000000 and secret test123. The joined strings
	// "b2" and "a1" sort as "a1", "b2"; s =
	// param2/1/system/currentTime/1000000a1b2.
	"documented example": {
		secret: "test123",
		path:   "param2/1/system/currentTime/1000000",
		params: []aop.Param{{"b", "2"}, {"a", "1"}},
		sorted: []string{"a1", "b2"},
		want:   "33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88",
	},
	// The joined strings are sorted, not the keys: by key "a" < "ab" would
	// give "az" then "ab1"; sorting "az" and "ab1" gives "ab1" first.
	"joined strings sort, not keys": {
		secret: "test123",
		path:   "param2/1/system/currentTime/1000000",
		params: []aop.Param{{"a", "z"}, {"ab", "1"}},
		sorted: []string{"ab1", "az"},
		want:   "8455C1445CD6FD189617EBA7A8A5C98E78786564",
	},
	// An empty value is signed: its string is the key alone.
	"empty value is signed": {
		secret: "s3cr3t",
		path:   "param2/1/com.alibaba.product/alibaba.cross.productInfo/8888888",
		params: []aop.Param{
			{"productId", "573741401425"},
			{"access_token", "f14da3b8-b0b1-4f73-a5de-9bed637e0188"},
			{"keyword", ""},
		},
		sorted: []string{"access_tokenf14da3b8-b0b1-4f73-a5de-9bed637e0188", "keyword", "productId573741401425"},
		want:   "9D60B40B47BA8E80223C05B9DA7BE3E7E87A8F11",
	},
	// Values are signed raw (UTF-8 bytes, before form escaping): a JSON
	// parameter with Chinese text and a space. "_" (0x5F) sorts before
	// "a" (0x61).
	"non-ASCII JSON value": {
		secret: "s3cr3t",
		path:   "param2/1/com.alibaba.fenxiao.crossborder/product.search.querySellerOfferList/8888888",
		params: []aop.Param{
			{"offerQueryParam", `{"beginPage":1,"pageSize":50,"country":"en","sellerOpenId":"BBBq","keyword":"连衣裙 女"}`},
			{"access_token", "tok"},
			{"_aop_timestamp", "1700000000000"},
		},
		sorted: []string{
			"_aop_timestamp1700000000000",
			"access_tokentok",
			`offerQueryParam{"beginPage":1,"pageSize":50,"country":"en","sellerOpenId":"BBBq","keyword":"连衣裙 女"}`,
		},
		want: "5BE4AC90924BC46A5B801D99255462E47DD1C66A",
	},
	// Java's String.compareTo compares UTF-16 code units: at index 2,
	// U+1F600 is the surrogate 0xD83D, below U+FF01, so "ab😀" sorts
	// first. A code point (or UTF-8 byte) sort puts "ab！" first and
	// would give 1D2C7E001C1F9C65DCFD29DF98E02C00BA447827 instead.
	"UTF-16 order of a supplementary character": {
		secret: "test123",
		path:   "param2/1/system/currentTime/1000000",
		params: []aop.Param{{"ab", "！"}, {"a", "b😀"}},
		sorted: []string{"ab😀", "ab！"},
		want:   "BB8945C4E28EFE4957ACBD3B0FC62558BF267221",
	},
	// A stale signature among the parameters is not signed again.
	"own signature excluded": {
		secret: "test123",
		path:   "param2/1/system/currentTime/1000000",
		params: []aop.Param{{"b", "2"}, {"_aop_signature", "STALE"}, {"a", "1"}},
		sorted: []string{"a1", "b2"},
		want:   "33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88",
	},
}

func TestSignKnownVectors(t *testing.T) {
	for name, v := range vectors {
		t.Run(name, func(t *testing.T) {
			// Step by step, as SignatureUtil.hmacSha1 does it.
			hashed := v.path + strings.Join(v.sorted, "")
			mac := hmac.New(sha1.New, []byte(v.secret))
			mac.Write([]byte(hashed))
			byHand := strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
			if byHand != v.want {
				t.Fatalf("vector is wrong: HMAC-SHA1 of %q is %s, the table says %s", hashed, byHand, v.want)
			}
			if got := aop.Sign(v.secret, v.path, v.params); got != v.want {
				t.Errorf("Sign = %s, want %s (hashed string %q)", got, v.want, hashed)
			}
		})
	}
}

func TestSignDoesNotDependOnParameterOrder(t *testing.T) {
	a := aop.Sign("k", "p", []aop.Param{{"x", "1"}, {"y", "2"}, {"z", ""}})
	b := aop.Sign("k", "p", []aop.Param{{"z", ""}, {"y", "2"}, {"x", "1"}})
	if a != b {
		t.Errorf("order changed the signature: %s vs %s", a, b)
	}
}

func TestURLPath(t *testing.T) {
	got := aop.URLPath(1, "com.alibaba.product", "alibaba.cross.productInfo", "8888888")
	if want := "param2/1/com.alibaba.product/alibaba.cross.productInfo/8888888"; got != want {
		t.Errorf("URLPath = %q, want %q", got, want)
	}
}
