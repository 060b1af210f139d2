package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// Defaults for the zero values of Options.
const (
	DefaultTimeout               = 30 * time.Second
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 20 * time.Second
	DefaultMaxResponseBytes      = 8 << 20
	DefaultProxyCooldown         = 30 * time.Second
	DefaultUserAgent             = "marketsync"
)

// Codes of the *sdk.Error values that Do returns. They are stable: the host
// and operators may match on them.
const (
	// CodeTimeout: a dial, TLS handshake, response-header or whole-request
	// timeout of this client. Kind Unavailable.
	CodeTimeout = "http_timeout"
	// CodeConnection: the connection could not be made or broke (refused,
	// reset, closed early, refused by a proxy). Kind Unavailable.
	CodeConnection = "http_connection"
	// CodeDNS: the host name did not resolve. Kind Unavailable.
	CodeDNS = "http_dns"
	// CodeTLS: the TLS handshake failed (bad certificate, protocol error).
	// Kind Unavailable.
	CodeTLS = "http_tls"
	// CodeResponseTooLarge: the body is larger than MaxResponseBytes. Kind
	// Invalid; see Options.MaxResponseBytes.
	CodeResponseTooLarge = "http_response_too_large"
)

// Options configures a Client. Every zero value means its default; no
// timeout can be turned off, so a plugin call always ends.
type Options struct {
	// Timeout bounds a whole Do call: connecting, sending, waiting and
	// reading the body. Default DefaultTimeout.
	Timeout time.Duration
	// DialTimeout bounds one TCP connect (to the platform or to the
	// proxy). Default DefaultDialTimeout.
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds one TLS handshake. Default
	// DefaultTLSHandshakeTimeout.
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for the response headers after
	// the request is written. Default DefaultResponseHeaderTimeout.
	ResponseHeaderTimeout time.Duration

	// Proxies are outbound proxy URLs with scheme http, https, socks5 or
	// socks5h, e.g. "http://user:pass@10.0.0.1:3128". Empty means direct
	// connections; the HTTP_PROXY environment variables are not consulted,
	// so the plugin's config is the only place that decides. With several,
	// the client keeps using one until a connection through it fails, then
	// moves to the next one that is not cooling down.
	Proxies []string
	// ProxyCooldown is how long a proxy through which a connection failed
	// stays out of rotation. When every proxy is cooling down, the one
	// that failed longest ago is used. Default DefaultProxyCooldown.
	ProxyCooldown time.Duration

	// MaxResponseBytes bounds the body Do reads. A larger body is an error
	// of kind Invalid with code CodeResponseTooLarge and no Response: a
	// truncated body must never be parsed as a complete one, and asking
	// again returns the same body, so retrying would only spend quota. The
	// plugin should ask for less (a smaller page) or the operator raise the
	// limit. Default DefaultMaxResponseBytes.
	MaxResponseBytes int64

	// UserAgent is sent when the request has none. Default
	// DefaultUserAgent.
	UserAgent string
	// TLSConfig is used for TLS to platforms (and to https proxies); nil
	// means the system roots. Tests pass the simulator's
	// httptest.Server.Client().Transport's config here.
	TLSConfig *tls.Config
	// Quota, when set, reads each response's headers into Response.Quota.
	Quota QuotaReader
	// Now is the clock for proxy cool-downs, Response.Received and quota
	// resets. Default time.Now.
	Now func() time.Time
}

// Client sends a plugin's requests to its platform. It is safe for
// concurrent use; make one per configured platform and reuse it, so
// connections are pooled.
type Client struct {
	http      *http.Client
	timeout   time.Duration
	maxBytes  int64
	userAgent string
	quota     QuotaReader
	now       func() time.Time
	proxies   *proxyPool
}

// Response is a complete HTTP response: the body has been read in full and
// the connection released.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// Quota is what Options.Quota read from the headers, nil when it is
	// not set or found nothing.
	Quota *sdk.Quota
	// Received is the client's clock when the body had been read; Retry-After
	// dates and quota resets are relative to it.
	Received time.Time
}

// StatusError maps the response's status to an *sdk.Error, or nil for
// 1xx–3xx; see the package function StatusError. Keep the result in a
// variable of type *sdk.Error before comparing it with nil.
func (r *Response) StatusError() *sdk.Error {
	return StatusError(r.StatusCode, r.Header, r.Body, r.Received)
}

// New returns a Client for o, or an error if a proxy URL is not usable.
func New(o Options) (*Client, error) {
	c := &Client{
		timeout:   orDefault(o.Timeout, DefaultTimeout),
		maxBytes:  o.MaxResponseBytes,
		userAgent: o.UserAgent,
		quota:     o.Quota,
		now:       o.Now,
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.now == nil {
		c.now = time.Now
	}
	if len(o.Proxies) > 0 {
		p, err := newProxyPool(o.Proxies, orDefault(o.ProxyCooldown, DefaultProxyCooldown))
		if err != nil {
			return nil, err
		}
		c.proxies = p
	}
	dialer := &net.Dialer{Timeout: orDefault(o.DialTimeout, DefaultDialTimeout), KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 proxyFromContext,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       o.TLSConfig,
		TLSHandshakeTimeout:   orDefault(o.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
		ResponseHeaderTimeout: orDefault(o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
	}
	c.http = &http.Client{Transport: transport}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// errTimeout is the cause of the context Do derives for Options.Timeout,
// which tells this client's timeout apart from the caller's deadline.
var errTimeout = errors.New("request timeout")

// Do sends req with ctx and reads the whole response. Any status is a
// Response, not an error: call Response.StatusError when the platform
// reports errors through HTTP statuses.
//
// The error is the caller's context error (context.Canceled or
// context.DeadlineExceeded, unwrapped) when ctx ended first; otherwise an
// *sdk.Error of kind Unavailable with one of the Code constants and the
// underlying message, or of kind Invalid with CodeResponseTooLarge. Do never
// retries: the host decides.
func (c *Client) Do(ctx context.Context, req *http.Request) (*Response, error) {
	inner, cancel := context.WithTimeoutCause(ctx, c.timeout, errTimeout)
	defer cancel()

	var proxy *proxyEntry
	if c.proxies != nil {
		proxy = c.proxies.pick(c.now())
		inner = context.WithValue(inner, proxyKey{}, proxy)
	}
	var connected atomic.Bool
	inner = httptrace.WithClientTrace(inner, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})

	out := req.Clone(inner)
	if out.Header.Get("User-Agent") == "" {
		out.Header.Set("User-Agent", c.userAgent)
	}

	resp, err := c.http.Do(out)
	if err != nil {
		if proxy != nil && !connected.Load() && ctx.Err() == nil {
			// No connection was made through this proxy: move on from it.
			c.proxies.failed(proxy, c.now())
		}
		return nil, c.failure(ctx, inner, req, proxy, err)
	}
	defer resp.Body.Close()
	if proxy != nil {
		c.proxies.succeeded(proxy)
	}

	body, err := c.readBody(resp)
	if err == nil && inner.Err() != nil {
		// The response completed only after the deadline or the
		// cancellation; it may even be one the server wrote because it
		// saw us close (a TLS client sends close_notify first). Either
		// way we had given up on it.
		err = context.Cause(inner)
	}
	if err != nil {
		return nil, c.failure(ctx, inner, req, proxy, err)
	}
	r := &Response{
		StatusCode: resp.StatusCode,
		Header:     resp.Header,
		Body:       body,
		Received:   c.now(),
	}
	if c.quota != nil {
		r.Quota = c.quota(resp.Header, r.Received)
	}
	return r, nil
}

type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("response body larger than %d bytes", e.limit)
}

// readBody reads at most c.maxBytes, failing fast when Content-Length
// already says the body is larger.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > c.maxBytes {
		return nil, &tooLargeError{c.maxBytes}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > c.maxBytes {
		return nil, &tooLargeError{c.maxBytes}
	}
	return b, nil
}

// failure turns an error of the transport or of reading the body into what
// Do returns.
func (c *Client) failure(caller, inner context.Context, req *http.Request, proxy *proxyEntry, err error) error {
	if cerr := caller.Err(); cerr != nil {
		return cerr
	}
	var tl *tooLargeError
	if errors.As(err, &tl) {
		return sdk.Invalid(CodeResponseTooLarge, describe(req, proxy, tl))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// url.Error repeats the full URL, query and all; describe shows a
		// redacted one instead.
		err = ue.Err
	}
	if errors.Is(context.Cause(inner), errTimeout) {
		return sdk.Unavailable(CodeTimeout, describe(req, proxy, fmt.Errorf("no complete response within %s: %w", c.timeout, err)))
	}
	return sdk.Unavailable(classify(err), describe(req, proxy, err))
}

// classify picks the code for a transport error.
func classify(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return CodeDNS
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return CodeTimeout
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return CodeTimeout
	}
	var (
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		verifyErr   *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidErr  x509.CertificateInvalidError
	)
	if errors.As(err, &recordErr) || errors.As(err, &alertErr) || errors.As(err, &verifyErr) ||
		errors.As(err, &unknownAuth) || errors.As(err, &hostnameErr) || errors.As(err, &invalidErr) {
		return CodeTLS
	}
	return CodeConnection
}

// describe writes "GET https://host/path via proxy http://p:3128: err",
// leaving out the query and any credentials: platforms such as TOP carry
// the session key and signature in the query.
func describe(req *http.Request, proxy *proxyEntry, err error) string {
	u := url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host, Path: req.URL.Path}
	s := req.Method + " " + u.String()
	if proxy != nil {
		s += " via proxy " + proxy.url.Redacted()
	}
	return s + ": " + err.Error()
}
