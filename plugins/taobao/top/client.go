package top

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// DefaultEndpoint is the production gateway over HTTPS. The English "API
// call" guide (https://developer.alibaba.com/docs/doc.htm?articleId=105420&docType=1&treeId=358)
// lists it for "official domestic" next to http://gw.api.taobao.com/router/rest,
// and https://api.taobao.com/router/rest for servers overseas.
const DefaultEndpoint = "https://eco.taobao.com/router/rest"

// Version is the value of the v parameter; articleId=101617 allows only 2.0.
const Version = "2.0"

// gmt8 is the zone of the timestamp parameter: Constants.DATE_TIMEZONE
// "GMT+8" in the Java SDK, "时区为GMT+8" in articleId=101617.
var gmt8 = time.FixedZone("GMT+8", 8*60*60)

// TimestampLayout is "yyyy-MM-dd HH:mm:ss" (Constants.DATE_TIME_FORMAT).
const TimestampLayout = "2006-01-02 15:04:05"

// FormatTimestamp writes t as the timestamp parameter. The gateway allows
// ten minutes between it and its own clock ("淘宝API服务端允许客户端请求最大
// 时间误差为10分钟", articleId=101617).
func FormatTimestamp(t time.Time) string { return t.In(gmt8).Format(TimestampLayout) }

// ParseTimestamp reads a time the platform wrote in GMT+8, such as an
// item's modified field.
func ParseTimestamp(s string) (time.Time, error) {
	return time.ParseInLocation(TimestampLayout, s, gmt8)
}

// Credentials identify the app and the seller who authorised it.
type Credentials struct {
	AppKey    string
	AppSecret string
	// Session is the seller's access token ("session" parameter); the item
	// APIs used here are marked 需要授权 and fail without it.
	Session string
}

// Client calls TOP APIs through one gateway. It is safe for concurrent
// use.
type Client struct {
	endpoint string
	creds    Credentials
	method   SignMethod
	http     *httpclient.Client
	now      func() time.Time
}

// NewClient returns a client for endpoint. now is the clock for the
// timestamp parameter (nil: time.Now).
func NewClient(endpoint string, creds Credentials, method SignMethod, hc *httpclient.Client, now func() time.Time) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("endpoint %q: want an absolute http(s) URL without a query", endpoint)
	}
	if _, err := ParseSignMethod(string(method)); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Client{endpoint: endpoint, creds: creds, method: method, http: hc, now: now}, nil
}

// systemParams are the names DefaultTaobaoClient puts in the URL query
// (protocalMustParams and protocalOptParams); an API parameter may not
// reuse one.
var systemParams = map[string]bool{
	"method": true, "v": true, "app_key": true, "timestamp": true, "sign": true,
	"format": true, "sign_method": true, "session": true, "partner_id": true,
	"target_app_key": true, "simplify": true,
}

// Encode builds the signed request for api with the API parameters
// params, the way the official Java SDK does (DefaultTaobaoClient.invokeApi):
// the system parameters and the signature go in the URL query, the API
// parameters in an application/x-www-form-urlencoded POST body, and the
// signature covers both. Parameters whose value is empty or white space
// are left out of the request and the signature alike, as the Java SDK's
// TaobaoHashMap.put does, because the other official SDKs would sign them.
func (c *Client) Encode(api string, params map[string]string) (query, body string, err error) {
	sys := map[string]string{
		"method":      api,
		"app_key":     c.creds.AppKey,
		"session":     c.creds.Session,
		"timestamp":   FormatTimestamp(c.now()),
		"v":           Version,
		"format":      "json",
		"sign_method": string(c.method),
	}
	all := make(map[string]string, len(sys)+len(params))
	q, b := url.Values{}, url.Values{}
	for k, v := range sys {
		if !javaEmpty(v) {
			all[k] = v
			q.Set(k, v)
		}
	}
	for k, v := range params {
		if systemParams[k] {
			return "", "", fmt.Errorf("API parameter %q is a system parameter", k)
		}
		if !javaEmpty(v) {
			all[k] = v
			b.Set(k, v)
		}
	}
	sign, err := Sign(all, c.creds.AppSecret, c.method)
	if err != nil {
		return "", "", err
	}
	q.Set("sign", sign)
	return q.Encode(), b.Encode(), nil
}

// Call invokes api and returns the JSON object under its response key
// ("taobao.items.onsale.get" answers {"items_onsale_get_response":{…}}).
// A failure is an *sdk.Error: the gateway's error_response mapped by
// APIError.SDKError, an HTTP status mapped by httpclient.StatusError, a
// transport failure from httpclient, or an UNAVAILABLE "bad_response" for
// a body that is not the JSON the protocol promises (truncated on the way,
// or garbage from a proxy), which a later attempt may well not repeat.
func (c *Client) Call(ctx context.Context, api string, params map[string]string) (json.RawMessage, error) {
	query, body, err := c.Encode(api, params)
	if err != nil {
		return nil, sdk.Invalid("bad_request", err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"?"+query, strings.NewReader(body))
	if err != nil {
		return nil, sdk.Invalid("bad_request", err.Error())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if serr := resp.StatusError(); serr != nil {
		return nil, serr
	}
	return decode(api, resp)
}

// ResponseKey is the key of a successful answer to api: the method name
// without the "taobao." prefix, dots turned into underscores, and
// "_response" appended (taobao.item.get answers item_get_response, as in
// the "top错误诊断说明" guide; other prefixes such as "tmall." are kept).
func ResponseKey(api string) string {
	return strings.ReplaceAll(strings.TrimPrefix(api, "taobao."), ".", "_") + "_response"
}

func decode(api string, resp *httpclient.Response) (json.RawMessage, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(resp.Body, &env); err != nil {
		return nil, sdk.Unavailable("bad_response", fmt.Sprintf("%s: response is not a JSON object: %v", api, err))
	}
	if raw, ok := env["error_response"]; ok {
		var e APIError
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, sdk.Unavailable("bad_response", fmt.Sprintf("%s: unreadable error_response: %v", api, err))
		}
		return nil, e.SDKError(resp.Header, resp.Received)
	}
	raw, ok := env[ResponseKey(api)]
	if !ok {
		return nil, sdk.Unavailable("bad_response", fmt.Sprintf("%s: response has no %s", api, ResponseKey(api)))
	}
	return raw, nil
}
