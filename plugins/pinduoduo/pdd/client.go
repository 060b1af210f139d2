package pdd

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// DefaultEndpoint is the gateway of every open-platform API: "正式环境
// https://gw-api.pinduoduo.com/api/router" (请求地址 on each API page; the
// official PHP SDK's $apiServerUrl). There is no sandbox.
const DefaultEndpoint = "https://gw-api.pinduoduo.com/api/router"

// CodeBadResponse is the code of a 200 answer that is not the JSON the
// platform documents (cut short, garbage, or missing its response key).
// Kind Unavailable: the same request usually succeeds again.
const CodeBadResponse = "pdd_bad_response"

// Credentials are an app's client_id and client_secret and the merchant's
// access_token (from the OAuth grant; it names the mall).
type Credentials struct {
	ClientID, ClientSecret, AccessToken string
}

// Client calls the gateway: it adds the common parameters, signs, posts a
// form, and turns error_response bodies into *APIError.
type Client struct {
	http     *httpclient.Client
	endpoint string
	cred     Credentials
	now      func() time.Time
}

// NewClient returns a client for endpoint; now is the clock of the
// timestamp parameter (nil means time.Now).
func NewClient(endpoint string, cred Credentials, h *httpclient.Client, now func() time.Time) *Client {
	if now == nil {
		now = time.Now
	}
	return &Client{http: h, endpoint: endpoint, cred: cred, now: now}
}

// form builds the request body: the business params, the common
// parameters of every call (公共请求参数: type, client_id, access_token,
// timestamp in Unix seconds, data_type JSON, version V1) and sign. Empty
// values are left out, as the official SDK leaves them out (see Sign).
func (c *Client) form(apiType string, params map[string]string) string {
	all := make(map[string]string, len(params)+7)
	for k, v := range params {
		if v != "" {
			all[k] = v
		}
	}
	all["type"] = apiType
	all["client_id"] = c.cred.ClientID
	if c.cred.AccessToken != "" {
		all["access_token"] = c.cred.AccessToken
	}
	all["timestamp"] = strconv.FormatInt(c.now().Unix(), 10)
	all["data_type"] = "JSON"
	all["version"] = "V1"
	all["sign"] = Sign(c.cred.ClientSecret, all)
	values := make(url.Values, len(all))
	for k, v := range all {
		values.Set(k, v)
	}
	return values.Encode()
}

// Call invokes apiType with params and decodes the object under respKey
// (e.g. "goods_detail_get_response") into out.
//
// The error is the caller's context error; an *sdk.Error from the
// transport, an HTTP error status or an unreadable answer; or an *APIError
// when the platform answered error_response.
func (c *Client) Call(ctx context.Context, apiType string, params map[string]string, respKey string, out any) (*httpclient.Response, error) {
	// The API pages' curl example posts
	// "Content-Type:application/x-www-form-urlencoded;charset=utf-8".
	req, err := http.NewRequest(http.MethodPost, c.endpoint, strings.NewReader(c.form(apiType, params)))
	if err != nil {
		return nil, sdk.Invalid("config", err.Error())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if e := resp.StatusError(); e != nil {
		return resp, e
	}
	var top map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(resp.Body)).Decode(&top); err != nil {
		return resp, sdk.Unavailable(CodeBadResponse, apiType+": answer is not JSON: "+err.Error())
	}
	if raw, ok := top["error_response"]; ok {
		var body errorBody
		if err := json.Unmarshal(raw, &body); err != nil {
			return resp, sdk.Unavailable(CodeBadResponse, apiType+": unreadable error_response: "+err.Error())
		}
		apiErr, err := body.toAPIError()
		if err != nil {
			return resp, sdk.Unavailable(CodeBadResponse, apiType+": "+err.Error())
		}
		apiErr.RetryAfter, _ = httpclient.ParseRetryAfter(resp.Header.Get("Retry-After"), resp.Received)
		return resp, apiErr
	}
	raw, ok := top[respKey]
	if !ok {
		return resp, sdk.Unavailable(CodeBadResponse, apiType+": answer has no "+respKey)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return resp, &ContentError{apiType + ": " + respKey + ": " + err.Error()}
	}
	return resp, nil
}

// ContentError is a well-formed answer whose content does not fit the
// documented fields, such as a price with decimals. Asking again gives the
// same answer, so FetchProducts reports it against the item; a whole call
// reports it as CodeBadResponse.
type ContentError struct{ msg string }

func (e *ContentError) Error() string { return e.msg }

// CallError turns what Call returned into the error of a whole plugin
// call: the SDK error of an *APIError, anything else as it is.
func CallError(err error) error {
	switch e := err.(type) {
	case *APIError:
		return e.SDK()
	case *ContentError:
		return sdk.Unavailable(CodeBadResponse, e.msg)
	}
	return err
}
