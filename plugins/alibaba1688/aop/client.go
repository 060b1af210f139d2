package aop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// DefaultEndpoint is the production gateway: the official SDKs build
// https://gw.open.1688.com/openapi/param2/{version}/{namespace}/{name}/{appKey}
// (Python base.py: '%s://%s/%s/%s' % (protocol, 'gw.open.1688.com',
// 'openapi', sign_url_path)).
const DefaultEndpoint = "https://gw.open.1688.com/openapi"

// System parameter names, as both SDKs spell them (HttpSupport.java
// PARAM_NAME_*, base.py P_*).
const (
	ParamSignature   = "_aop_signature"
	ParamTimestamp   = "_aop_timestamp"
	ParamAccessToken = "access_token"
)

// API names one gateway API: com.alibaba.product:alibaba.cross.productInfo-1
// in the platform's notation is {Namespace: "com.alibaba.product", Name:
// "alibaba.cross.productInfo", Version: 1}.
type API struct {
	Namespace string
	Name      string
	Version   int
}

func (a API) String() string {
	return a.Namespace + ":" + a.Name + "-" + strconv.Itoa(a.Version)
}

// Options configures a Client.
type Options struct {
	// Endpoint is the gateway base, up to and including "/openapi".
	// Default DefaultEndpoint. Tests point it at a simulator.
	Endpoint string
	// AppKey and AppSecret identify the app (the platform also calls them
	// client_id and client_secret in its OAuth flow).
	AppKey    string
	AppSecret string
	// AccessToken is the user authorization token from the OAuth flow.
	AccessToken string
	// HTTP sends the requests. Required.
	HTTP *httpclient.Client
	// Now is the clock for _aop_timestamp and Retry-After dates. Default
	// time.Now.
	Now func() time.Time
}

// Client calls gateway APIs. It is safe for concurrent use.
type Client struct {
	base   string
	key    string
	secret string
	token  string
	http   *httpclient.Client
	now    func() time.Time
}

// New checks o and returns a Client. It makes no network call.
func New(o Options) (*Client, error) {
	if o.Endpoint == "" {
		o.Endpoint = DefaultEndpoint
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q must be an absolute http(s) URL", o.Endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("endpoint %q must not have a query or fragment", o.Endpoint)
	}
	switch {
	case o.AppKey == "":
		return nil, errors.New("app key is empty")
	case strings.ContainsAny(o.AppKey, "/?#% "):
		return nil, fmt.Errorf("app key %q cannot stand in a URL path", o.AppKey)
	case o.AppSecret == "":
		return nil, errors.New("app secret is empty")
	case o.HTTP == nil:
		return nil, errors.New("no HTTP client")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Client{
		base:   strings.TrimRight(o.Endpoint, "/"),
		key:    o.AppKey,
		secret: o.AppSecret,
		token:  o.AccessToken,
		http:   o.HTTP,
		now:    o.Now,
	}, nil
}

// Call invokes api with the business parameters params and returns the
// body of a successful reply. The request is what the official SDKs send:
// a POST to {endpoint}/{urlPath} with an application/x-www-form-urlencoded
// body holding the business parameters, access_token, _aop_timestamp (the
// client's clock in milliseconds; optional for the gateway, sent so that a
// replayed request goes stale) and _aop_signature over all of them.
//
// The error is the caller's context error, an *sdk.Error from the
// transport (httpclient's codes), or the gateway's refusal mapped by
// ParseError.
func (c *Client) Call(ctx context.Context, api API, params ...Param) ([]byte, error) {
	path := URLPath(api.Version, api.Namespace, api.Name, c.key)
	all := make([]Param, 0, len(params)+3)
	all = append(all, params...)
	all = append(all,
		Param{ParamAccessToken, c.token},
		Param{ParamTimestamp, strconv.FormatInt(c.now().UnixMilli(), 10)},
	)
	all = append(all, Param{ParamSignature, Sign(c.secret, path, all)})

	req, err := http.NewRequest(http.MethodPost, c.base+"/"+path, strings.NewReader(EncodeForm(all)))
	if err != nil {
		return nil, sdk.Invalid("bad_request", err.Error())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if e := ParseError(resp.StatusCode, resp.Header, resp.Body, resp.Received); e != nil {
		return nil, e
	}
	return resp.Body, nil
}

// EncodeForm writes params as a form body in their order, each key and
// value escaped as url.QueryEscape does (space as '+'), which is what the
// official SDKs' form encoders produce.
func EncodeForm(params []Param) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}
