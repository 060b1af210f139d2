package pdd

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"
)

// officialSign is the official PHP POP SDK's algorithm written out step by
// step (PopHttpClient::makeSign and toUrlParams), kept apart from Sign so
// the two can disagree:
//
//	ksort($params);                                   // 1. sort by name
//	foreach ($params as $k => $v)                     // 2. name . value,
//	    if ($k != "sign" && $v !== "" && !is_array($v))  //  skipping sign and ""
//	        $buff .= $k . $v;
//	$string = $this->clientSecret . $buff . $this->clientSecret; // 3.
//	return strtoupper(md5($string));                  // 4.
//
// It returns the string that is hashed too, so each vector pins it.
func officialSign(secret string, names []string, values map[string]string) (hashed, sign string) {
	// Step 1 is done by the caller, who lists the names in the order
	// ksort gives; the vectors spell that order out.
	var buff string
	for _, k := range names {
		if v := values[k]; k != "sign" && v != "" {
			buff += k + v
		}
	}
	hashed = secret + buff + secret
	sum := md5.Sum([]byte(hashed))
	return hashed, strings.ToUpper(hex.EncodeToString(sum[:]))
}

func TestSignVectors(t *testing.T) {
	for name, tc := range map[string]struct {
		secret string
		params map[string]string
		// sorted is the names in byte order, as ksort leaves them.
		sorted []string
		// hashed is the exact string that is hashed.
		hashed string
		// want was computed once with openssl, e.g.
		//   printf '%s' '<hashed>' | openssl dgst -md5
		// and upper-cased.
		want string
	}{
		"goods detail call": {
			secret: "testSecret",
			params: map[string]string{
				"type": "pdd.goods.detail.get", "client_id": "4b2f7c9e1a0d4e5f", "access_token": "a1b2c3d4",
				"timestamp": "1700000000", "data_type": "JSON", "version": "V1", "goods_id": "126050052488",
			},
			sorted: []string{"access_token", "client_id", "data_type", "goods_id", "timestamp", "type", "version"},
			hashed: "testSecretaccess_tokena1b2c3d4client_id4b2f7c9e1a0d4e5fdata_typeJSONgoods_id126050052488timestamp1700000000typepdd.goods.detail.getversionV1testSecret",
			want:   "1071706FE73F96D5F3AA481D398DCF98",
		},
		"empty values and sign take no part": {
			secret: "testSecret",
			params: map[string]string{
				"type": "pdd.goods.detail.get", "client_id": "4b2f7c9e1a0d4e5f", "access_token": "a1b2c3d4",
				"timestamp": "1700000000", "data_type": "JSON", "version": "V1", "goods_id": "126050052488",
				"outer_id": "", "goods_name": "", "sign": "0123456789ABCDEF0123456789ABCDEF",
			},
			sorted: []string{"access_token", "client_id", "data_type", "goods_id", "goods_name", "outer_id", "sign", "timestamp", "type", "version"},
			hashed: "testSecretaccess_tokena1b2c3d4client_id4b2f7c9e1a0d4e5fdata_typeJSONgoods_id126050052488timestamp1700000000typepdd.goods.detail.getversionV1testSecret",
			want:   "1071706FE73F96D5F3AA481D398DCF98",
		},
		"non-ASCII value hashed as UTF-8": {
			secret: "testSecret",
			params: map[string]string{
				"type": "pdd.goods.list.get", "client_id": "4b2f7c9e1a0d4e5f", "timestamp": "1700000000",
				"goods_name": "纯棉T恤 红色·加厚",
			},
			sorted: []string{"client_id", "goods_name", "timestamp", "type"},
			hashed: "testSecretclient_id4b2f7c9e1a0d4e5fgoods_name纯棉T恤 红色·加厚timestamp1700000000typepdd.goods.list.gettestSecret",
			want:   "09741D0B208A1421B5CB06B0E2EA3E3A",
		},
		"byte order of names: upper case, then underscore, then lower case": {
			secret: "s3cret",
			params: map[string]string{"a_b": "1", "aB": "2", "ab": "3", "a": "4"},
			sorted: []string{"a", "aB", "a_b", "ab"},
			hashed: "s3creta4aB2a_b1ab3s3cret",
			want:   "881EB4DEF589CB86A07AA60BB0417338",
		},
		"JSON and boolean values signed as the text sent": {
			secret: "testSecret",
			params: map[string]string{
				"type": "pdd.ddk.goods.search", "client_id": "4b2f7c9e1a0d4e5f", "timestamp": "1700000000",
				"goods_id_list": "[126050052488,126050060407]",
				"range_list":    `[{"range_id":0,"range_from":1,"range_to":1500}]`,
				"with_coupon":   "true",
			},
			sorted: []string{"client_id", "goods_id_list", "range_list", "timestamp", "type", "with_coupon"},
			hashed: `testSecretclient_id4b2f7c9e1a0d4e5fgoods_id_list[126050052488,126050060407]range_list[{"range_id":0,"range_from":1,"range_to":1500}]timestamp1700000000typepdd.ddk.goods.searchwith_coupontruetestSecret`,
			want:   "B3888C765046A0AD05CB00E113010A30",
		},
	} {
		t.Run(name, func(t *testing.T) {
			hashed, official := officialSign(tc.secret, tc.sorted, tc.params)
			if hashed != tc.hashed {
				t.Fatalf("written-out algorithm hashes\n%q\nwant\n%q", hashed, tc.hashed)
			}
			if official != tc.want {
				t.Fatalf("written-out algorithm gives %s, openssl gave %s", official, tc.want)
			}
			if got := Sign(tc.secret, tc.params); got != tc.want {
				t.Errorf("Sign = %s, want %s", got, tc.want)
			}
		})
	}
}

// The body a Client sends carries every common parameter, no empty value,
// and a sign that verifies over exactly the decoded pairs.
func TestClientFormIsSignedAsSent(t *testing.T) {
	c := NewClient(DefaultEndpoint, Credentials{ClientID: "cid", ClientSecret: "sec", AccessToken: "tok"}, nil,
		func() time.Time { return time.Unix(1700000000, 0) })
	body := c.form("pdd.goods.list.get", map[string]string{"page": "2", "goods_name": "", "keyword": "袜子 & 毛巾"})
	values, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"type": "pdd.goods.list.get", "client_id": "cid", "access_token": "tok", "timestamp": "1700000000",
		"data_type": "JSON", "version": "V1", "page": "2", "keyword": "袜子 & 毛巾",
	}
	for k, v := range want {
		if values.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, values.Get(k), v)
		}
	}
	if values.Has("goods_name") {
		t.Errorf("empty goods_name was sent: %s", body)
	}
	flat := map[string]string{}
	for k := range values {
		flat[k] = values.Get(k)
	}
	if got := values.Get("sign"); got != Sign("sec", flat) || len(got) != 32 {
		t.Errorf("sign %q does not verify over the body %s", got, body)
	}
}
