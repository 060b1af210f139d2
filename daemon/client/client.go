package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/marketsync/marketsync/daemon/version"
)

const (
	// EnvAddress and EnvToken name the environment variables DefaultConfig
	// reads, with the TLS files' (named as Consul names its own).
	EnvAddress    = "MARKETSYNC_ADDR"
	EnvToken      = "MARKETSYNC_TOKEN"
	EnvCACert     = "MARKETSYNC_CACERT"
	EnvClientCert = "MARKETSYNC_CLIENT_CERT"
	EnvClientKey  = "MARKETSYNC_CLIENT_KEY"

	// DefaultAddress is where the agent listens unless configured otherwise.
	DefaultAddress = "http://127.0.0.1:8787"
)

// Config says where the agent is and how to talk to it.
type Config struct {
	// Address is the agent's base URL; a bare host:port means http, and
	// unix:///path/to/socket reaches an agent's api.unix_socket.
	Address string
	// Token is sent as "Authorization: Bearer <token>" when set.
	Token string
	// ForwardedBy, set by an agent that forwards a request to another
	// agent of its cluster, is sent as HeaderForwardedBy: the agent that
	// receives it serves the request itself or refuses, never forwards
	// it again, so two nodes whose views of an owner disagree cannot
	// pass a request back and forth.
	ForwardedBy string
	// HTTPClient makes the requests; nil uses a client with the TLS
	// settings below and no overall timeout: a request lasts as long as
	// its context allows, since a lock acquire or a watch may
	// legitimately wait up to the API's longest wait (five minutes).
	HTTPClient *http.Client

	// For an https address: CACert is a PEM file of the CAs that sign the
	// agent's certificate (empty: the system's); ClientCert and ClientKey
	// are the PEM files of the certificate the client shows an agent that
	// requires one (mutual TLS). They are ignored when HTTPClient is set.
	CACert     string
	ClientCert string
	ClientKey  string
}

// DefaultConfig reads MARKETSYNC_ADDR, MARKETSYNC_TOKEN, MARKETSYNC_CACERT,
// MARKETSYNC_CLIENT_CERT and MARKETSYNC_CLIENT_KEY; an unset address is
// DefaultAddress.
func DefaultConfig() Config {
	cfg := Config{Address: DefaultAddress, Token: os.Getenv(EnvToken),
		CACert: os.Getenv(EnvCACert), ClientCert: os.Getenv(EnvClientCert), ClientKey: os.Getenv(EnvClientKey)}
	if addr := os.Getenv(EnvAddress); addr != "" {
		cfg.Address = addr
	}
	return cfg
}

// Client talks to one agent. It is safe for concurrent use.
type Client struct {
	base  string
	shown string // the address as configured, for messages
	token string
	fwd   string
	http  *http.Client
}

// HeaderForwardedBy names the agent that forwarded a request.
const HeaderForwardedBy = "X-Marketsync-Forwarded-By"

// HeaderIdempotencyKey carries a collect request's idempotency key
// (CollectRequest.IdempotencyKey).
const HeaderIdempotencyKey = "Idempotency-Key"

// New checks cfg and returns a client for it.
func New(cfg Config) (*Client, error) {
	base, err := normalizeAddress(cfg.Address)
	if err != nil {
		return nil, err
	}
	shown := base
	socket, isUnix := strings.CutPrefix(base, "unix://")
	if isUnix {
		base = "http://localhost" // the Host a tokenless agent answers
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
		t := http.DefaultTransport.(*http.Transport).Clone()
		if cfg.CACert != "" || cfg.ClientCert != "" || cfg.ClientKey != "" {
			tc, err := tlsConfig(cfg)
			if err != nil {
				return nil, err
			}
			t.TLSClientConfig = tc
		}
		if isUnix {
			t.Proxy = nil
			t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", socket)
			}
		}
		hc.Transport = t
	}
	return &Client{base: base, shown: shown, token: cfg.Token, fwd: cfg.ForwardedBy, http: hc}, nil
}

// tlsConfig loads the CA and client certificate files of cfg.
func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("CA certificate (%s): %w", EnvCACert, err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA certificate (%s): %s holds no PEM certificate", EnvCACert, cfg.CACert)
		}
	}
	if (cfg.ClientCert == "") != (cfg.ClientKey == "") {
		return nil, fmt.Errorf("a client certificate needs both %s and %s", EnvClientCert, EnvClientKey)
	}
	if cfg.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.ClientCert, cfg.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Address is the base URL the client sends to, or its unix:// address.
func (c *Client) Address() string { return c.shown }

// normalizeAddress turns "host:port" into "http://host:port" and checks that
// the result is an http(s) URL without query or fragment. A path is kept, so
// the API can sit behind a proxy under a prefix.
func normalizeAddress(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", errors.New("agent address is empty")
	}
	if path, ok := strings.CutPrefix(addr, "unix://"); ok {
		if !strings.HasPrefix(path, "/") {
			return "", fmt.Errorf("agent address %q: a Unix socket needs an absolute path, as in unix:///run/marketsync.sock", addr)
		}
		return addr, nil
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return "", fmt.Errorf("agent address %q: %w", addr, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("agent address %q: scheme must be http or https", addr)
	}
	if u.Host == "" {
		return "", fmt.Errorf("agent address %q has no host", addr)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("agent address %q must not have a query or fragment", addr)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// do sends one request: in, when not nil, as the JSON body; out, when not
// nil, receives the JSON answer. Any status of 400 or more is an *APIError.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	_, err := c.doHeader(ctx, method, path, query, in, out)
	return err
}

// doHeader is do that also returns the answer's header.
func (c *Client) doHeader(ctx context.Context, method, path string, query url.Values, in, out any) (http.Header, error) {
	return c.doWith(ctx, method, path, query, nil, in, out)
}

// doWith is doHeader that also sends the request headers header.
func (c *Client) doWith(ctx context.Context, method, path string, query url.Values, header http.Header, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
		header = header.Clone()
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Type", "application/json")
	}
	return c.sendBody(ctx, method, path, query, header, body, out)
}

// sendBody sends body, which may be nil, with the request headers header
// to path and query, as send does.
func (c *Client) sendBody(ctx context.Context, method, path string, query url.Values, header http.Header, body io.Reader, out any) (http.Header, error) {
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return c.send(req, out)
}

// send sends req, named and authorized as this client's, and decodes its
// JSON answer into out when out is not nil; a status of 400 or more is
// an *APIError.
func (c *Client) send(req *http.Request, out any) (http.Header, error) {
	method, path := req.Method, req.URL.Path
	req.Header.Set("Accept", "application/json")
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	// Read what the decoder leaves (json.Encoder's newline, an unread
	// body) before closing: a body closed short closes the connection
	// instead of returning it for keep-alive.
	defer func() { io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)); resp.Body.Close() }()
	if resp.StatusCode >= 400 {
		return resp.Header, decodeError(resp)
	}
	if out == nil {
		return resp.Header, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.Header, fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return resp.Header, nil
}

// authorize names the client and adds its token to req.
func (c *Client) authorize(req *http.Request) {
	req.Header.Set("User-Agent", "marketsync/"+version.Version)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.fwd != "" {
		req.Header.Set(HeaderForwardedBy, c.fwd)
	}
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

func decodeError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{StatusCode: resp.StatusCode}
	var body ErrorBody
	if json.Unmarshal(raw, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message = body.Error.Code, body.Error.Message
		return e
	}
	e.Message = strings.TrimSpace(strings.ToValidUTF8(string(raw), "\uFFFD"))
	if r := []rune(e.Message); len(r) > 200 {
		e.Message = string(r[:200]) + "…"
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}
