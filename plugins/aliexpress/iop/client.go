package iop

import (
	"context"
	"encoding/json"
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

// DefaultEndpoint is the gateway of the AliExpress open platform. Business
// APIs are called at DefaultEndpoint+"/sync?method=…" and system APIs at
// DefaultEndpoint+"/rest/<path>" (TopExecutor and GopExecutor of the Java
// SDK build the same URLs from their serverUrl).
const DefaultEndpoint = "https://api-sg.aliexpress.com"

// Names of the common parameters. Those of /sync calls are the Java SDK's
// TopExecutor's (app_key, method, session, timestamp, sign_method, format,
// v, partner_id); those of /rest calls its GopExecutor's (app_key,
// access_token, timestamp, sign_method, partner_id). The token is called
// "session" on /sync and "access_token" on /rest.
const (
	ParamAppKey      = "app_key"
	ParamMethod      = "method"
	ParamSession     = "session"
	ParamAccessToken = "access_token"
	ParamTimestamp   = "timestamp"
	ParamSignMethod  = "sign_method"
	ParamSign        = paramSign
	ParamFormat      = "format"
	ParamVersion     = "v"
	ParamPartnerID   = "partner_id"
)

// Codes of the errors the client makes itself, besides httpclient's
// transport codes and the platform's own.
const (
	// CodeMalformed: the answer is not the JSON the gateway sends (cut
	// short, garbage, or without the expected response object). Kind
	// Unavailable: it is the platform's or the network's doing, and the
	// next answer is usually whole.
	CodeMalformed = "malformed_response"
	// CodeBadRequest: the plugin tried to send a request the protocol does
	// not allow (a business parameter named like a system one). Kind
	// Invalid: a bug.
	CodeBadRequest = "bad_request"
)

// Credentials authenticate an app and the account that authorized it.
type Credentials struct {
	AppKey    string
	AppSecret string
	// AccessToken is the authorization an account granted the app; it is
	// sent as "session" on /sync and "access_token" on /rest.
	AccessToken string
}

// Options configures a Client.
type Options struct {
	// Endpoint is the gateway's base URL; DefaultEndpoint when empty.
	// Tests point it at the simulator, which may be plain http.
	Endpoint    string
	Credentials Credentials
	// HTTP sends the requests; it owns timeouts, proxies and the size
	// limit of answers.
	HTTP *httpclient.Client
	// Now stamps requests ("timestamp", in milliseconds). Default
	// time.Now.
	Now func() time.Time
	// PartnerID is sent as partner_id, which the SDKs fill with their own
	// version ("iop-sdk-java-20181207"). Default "marketsync".
	PartnerID string
}

// Client calls the AliExpress open platform: it adds the common
// parameters, signs, sends, and turns every failure into an *sdk.Error.
// It is safe for concurrent use.
type Client struct {
	base      string
	creds     Credentials
	http      *httpclient.Client
	now       func() time.Time
	partnerID string
}

// New checks o and returns a Client. It does not call the platform.
func New(o Options) (*Client, error) {
	base := o.Endpoint
	if base == "" {
		base = DefaultEndpoint
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("endpoint %q must be an http(s) URL without a query", base)
	}
	if o.HTTP == nil {
		return nil, errors.New("no HTTP client")
	}
	if o.Credentials.AppKey == "" || o.Credentials.AppSecret == "" {
		return nil, errors.New("app key and app secret are required")
	}
	c := &Client{
		base:      strings.TrimRight(base, "/"),
		creds:     o.Credentials,
		http:      o.HTTP,
		now:       o.Now,
		partnerID: o.PartnerID,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.partnerID == "" {
		c.partnerID = "marketsync"
	}
	return c, nil
}

// Call invokes a business API by method name, such as
// "aliexpress.ds.product.get", on /sync and returns the API's response
// object: the value of "<method with _ for .>_response" in the answer.
//
// The request is shaped as the Java SDK's TopExecutor and
// BaseExecutor.invoke shape it: a POST to /sync?method=…, with the common
// parameters and the signature in the URL and the business parameters in
// an application/x-www-form-urlencoded body; the signature covers both,
// without an API path in front (see Sign). Blank business parameters are
// left out, as the Java SDK's IopHashMap leaves them out.
func (c *Client) Call(ctx context.Context, method string, params map[string]string) (json.RawMessage, error) {
	common := map[string]string{
		ParamAppKey:     c.creds.AppKey,
		ParamMethod:     method,
		ParamSession:    c.creds.AccessToken,
		ParamTimestamp:  c.timestamp(),
		ParamSignMethod: SignMethod,
		ParamFormat:     "json",
		ParamVersion:    "2.0",
		ParamPartnerID:  c.partnerID,
	}
	body, err := c.send(ctx, "/sync", "", common, params)
	if err != nil {
		return nil, err
	}
	return unwrapSync(body, method)
}

// CallPath invokes a system API by path, such as "/auth/token/refresh",
// on /rest<path> and returns the whole answer. Path-style calls prefix the
// path to the signed string (GopExecutor) and carry the token as
// "access_token".
func (c *Client) CallPath(ctx context.Context, path string, params map[string]string) (json.RawMessage, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, sdk.Invalid(CodeBadRequest, fmt.Sprintf("API path %q must start with /", path))
	}
	common := map[string]string{
		ParamAppKey:      c.creds.AppKey,
		ParamAccessToken: c.creds.AccessToken,
		ParamTimestamp:   c.timestamp(),
		ParamSignMethod:  SignMethod,
		ParamPartnerID:   c.partnerID,
	}
	body, err := c.send(ctx, "/rest"+path, path, common, params)
	if err != nil {
		return nil, err
	}
	return unwrapRest(body)
}

// timestamp is the client's clock in milliseconds, the form both SDKs send
// (Python: str(int(round(time.time()))) + '000'; Java: IopHashMap.put
// writes a Date as getTime()).
func (c *Client) timestamp() string { return strconv.FormatInt(c.now().UnixMilli(), 10) }

// send signs common+params, posts them and returns the answer. It fails
// only for transport errors and for a request it must not send.
func (c *Client) send(ctx context.Context, path, apiPath string, common, params map[string]string) (*httpclient.Response, error) {
	all := make(map[string]string, len(common)+len(params)+1)
	query := url.Values{}
	for k, v := range common {
		if isBlank(v) {
			continue
		}
		all[k] = v
		query.Set(k, v)
	}
	form := url.Values{}
	for k, v := range params {
		if _, clash := all[k]; clash || k == ParamSign {
			return nil, sdk.Invalid(CodeBadRequest, fmt.Sprintf("business parameter %q has the name of a system parameter", k))
		}
		if isBlank(v) {
			continue
		}
		all[k] = v
		form.Set(k, v)
	}
	query.Set(ParamSign, Sign(c.creds.AppSecret, apiPath, all))

	target := c.base + path + "?" + query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, sdk.Invalid(CodeBadRequest, err.Error())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	return c.http.Do(ctx, req)
}

// unwrapSync returns the "<method>_response" object of a /sync answer, or
// the typed error the answer carries.
func unwrapSync(a *httpclient.Response, method string) (json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(a.Body, &top); err != nil || top == nil {
		return nil, notJSON(a, err)
	}
	if raw, ok := top["error_response"]; ok {
		var e syncError
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, notJSON(a, err)
		}
		return nil, Classify(e.body(), a.Header, a.Received)
	}
	if se := a.StatusError(); se != nil {
		return nil, se
	}
	key := strings.ReplaceAll(method, ".", "_") + "_response"
	raw, ok := top[key]
	if !ok {
		return nil, sdk.Unavailable(CodeMalformed, fmt.Sprintf("answer has no %q object", key))
	}
	return raw, nil
}

// unwrapRest returns a /rest answer whose code is "0" (or absent), or the
// typed error it carries.
func unwrapRest(a *httpclient.Response) (json.RawMessage, error) {
	var head struct {
		Type      Scalar `json:"type"`
		Code      Scalar `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(a.Body, &head); err != nil {
		return nil, notJSON(a, err)
	}
	if head.Code != "" && head.Code != "0" {
		return nil, Classify(ErrorBody{Type: string(head.Type), Code: string(head.Code), Message: head.Message, RequestID: head.RequestID},
			a.Header, a.Received)
	}
	if se := a.StatusError(); se != nil {
		return nil, se
	}
	return json.RawMessage(a.Body), nil
}

// notJSON explains an answer that is not the gateway's JSON: by its HTTP
// status when that is an error (a 429 or 503 from a proxy or load
// balancer), otherwise as a malformed answer.
func notJSON(a *httpclient.Response, err error) error {
	if se := a.StatusError(); se != nil {
		return se
	}
	msg := "answer is not a JSON object"
	if err != nil {
		msg += ": " + err.Error()
	}
	return sdk.Unavailable(CodeMalformed, msg)
}
