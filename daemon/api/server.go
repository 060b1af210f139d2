package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
	"golang.org/x/net/netutil"
)

// Config is what the server needs from the agent.
type Config struct {
	// Backend serves the routes; required.
	Backend Backend
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every route but GET /v1/health; it may do anything (ScopeOperator).
	Token string
	// Tokens are more tokens, each limited to a scope (see Scope).
	Tokens []Token
	// Logger receives request lines at debug and failures at error; nil
	// discards them.
	Logger *slog.Logger
	// Metrics serves GET /metrics; nil answers 404.
	Metrics http.Handler
	// Stats serves GET /v1/stats; nil answers 404.
	Stats StatsSource
	// Cache serves /v1/cache; nil answers 404.
	Cache CacheSource
	// Snapshots serves GET /v1/operator/snapshot; nil answers 404.
	Snapshots SnapshotSource
	// Webhooks takes POST /v1/webhooks/{plugin}/{name} and Events serves
	// GET /v1/events/sinks (webhooks.go); nil answers 404.
	Webhooks WebhookReceiver
	Events   EventSinks
	// Alerts serves /v1/alerts, /v1/silences and /v1/receivers; nil
	// answers 404.
	Alerts AlertSource
	// Cluster serves /v1/cluster and /v1/locks; nil answers 404.
	Cluster ClusterSource
	// Sync serves /v1/sync, /v1/bindings, /v1/history and /v1/conflicts;
	// nil answers 404.
	Sync SyncSource

	// Limits on connections; a zero value takes the Default below.
	//
	// ReadHeaderTimeout bounds reading a request's header, ReadTimeout
	// its header and body, so a client that sends half a body and stalls
	// is cut off. IdleTimeout closes a keep-alive connection left idle.
	// MaxConns caps the connections open at once: more wait in the
	// listener's queue. There is no write timeout, because a blocking
	// query answers after up to MaxWait.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	MaxConns          int

	// TLS, when set, makes Serve speak HTTPS (see TLSConfig). With
	// ClientAuth tls.RequireAndVerifyClientCert, a client's certificate
	// authenticates it as a token would.
	TLS *tls.Config
}

// Defaults of Config's connection limits. ReadTimeout leaves a client on a
// slow link time to send a MaxBodyBytes body.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMaxConns          = 512
)

// Server is the HTTP API. It is an http.Handler, so tests and other
// servers can mount it, and it can serve a listener itself.
type Server struct {
	backend   Backend
	tokens    []tokenHash
	hasToken  bool
	logger    *slog.Logger
	metrics   http.Handler
	stats     StatsSource
	cache     CacheSource
	snapshots SnapshotSource
	mux       *http.ServeMux
	started   time.Time
	now       func() time.Time
	http      *http.Server
	maxConns  int
	tls       *tls.Config
	webhooks  WebhookReceiver
	events    EventSinks
	alerts    AlertSource
	cluster   ClusterSource
	sync      SyncSource
	// mutualTLS says clients prove who they are with a certificate.
	mutualTLS bool
}

// New checks cfg and builds the server.
func New(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("api: Config.Backend is nil")
	}
	s := &Server{
		backend:   cfg.Backend,
		logger:    cfg.Logger,
		metrics:   cfg.Metrics,
		stats:     cfg.Stats,
		cache:     cfg.Cache,
		snapshots: cfg.Snapshots,
		mux:       http.NewServeMux(),
		now:       time.Now,
		alerts:    cfg.Alerts,
		cluster:   cfg.Cluster,
		sync:      cfg.Sync,
	}
	s.started = s.now()
	s.webhooks, s.events = cfg.Webhooks, cfg.Events
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Token != "" {
		cfg.Tokens = append([]Token{{Secret: cfg.Token, Scope: ScopeOperator}}, cfg.Tokens...)
	}
	for _, t := range cfg.Tokens {
		if t.Secret == "" || !slices.Contains(Scopes, t.Scope) {
			return nil, fmt.Errorf("api: a token needs a secret and one of the scopes %v", Scopes)
		}
		s.tokens = append(s.tokens, tokenHash{sum: sha256.Sum256([]byte(t.Secret)), scope: t.Scope})
	}
	s.hasToken = len(s.tokens) > 0
	s.routes()
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: orDefault(cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       orDefault(cfg.ReadTimeout, DefaultReadTimeout),
		// WriteTimeout stays 0: it would cut blocking queries, which
		// answer after up to MaxWait.
		IdleTimeout: orDefault(cfg.IdleTimeout, DefaultIdleTimeout),
		ErrorLog:    slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	s.maxConns = orDefault(cfg.MaxConns, DefaultMaxConns)
	if cfg.TLS != nil {
		s.tls = cfg.TLS.Clone()
		s.mutualTLS = s.tls.ClientAuth == tls.RequireAndVerifyClientCert
	}
	return s, nil
}

func orDefault[T time.Duration | int](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Serve answers requests on ln, at most Config.MaxConns connections at a
// time, until Shutdown; it returns nil after a Shutdown and the listener's
// error otherwise.
func (s *Server) Serve(ln net.Listener) error {
	ln = netutil.LimitListener(ln, s.maxConns)
	if s.tls != nil {
		// The handshake runs in the connection's goroutine, under
		// ReadHeaderTimeout, so a client that stalls in it is cut off too.
		ln = tls.NewListener(ln, s.tls)
	}
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits, until ctx ends, for the
// requests in progress to finish. It may be called more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.http.Shutdown(ctx)
}

// ServeHTTP logs the request, recovers a panic into a 500, checks the
// token and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.logger.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if rec.status == 0 {
				s.writeError(rec, r, fmt.Errorf("panic: %v", p))
			}
		}
		s.logger.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.code(), "duration", time.Since(start))
	}()
	if s.isWebhook(r) {
		// Platforms send no token and any Host: the plugin's check of
		// the signature is the delivery's authentication (webhooks.go).
		s.route(rec, r)
		return
	}
	if !s.hasToken && !s.mutualTLS && !loopbackHost(r.Host) {
		s.writeError(rec, r, &Error{Status: http.StatusForbidden, Code: client.CodeForbiddenHost,
			Message: fmt.Sprintf("this agent has no token, so it answers only requests addressed to localhost, 127.0.0.1 or [::1], not to %q; set api.token to reach it by another name", r.Host)})
		return
	}
	if r.URL.Path != "/v1/health" {
		if err := s.authenticate(r); err != nil {
			if e, ok := err.(*Error); ok && e.Status == http.StatusUnauthorized {
				rec.Header().Set("WWW-Authenticate", `Bearer realm="marketsync"`)
			}
			s.writeError(rec, r, err)
			return
		}
	}
	s.route(rec, r)
}

// loopbackHost says whether a request's Host names this machine by
// loopback: localhost, 127.0.0.0/8 or [::1], with or without a port. An
// agent without a token answers only those, so a web page whose DNS name
// is rebound to 127.0.0.1 cannot drive it from a browser: the browser
// still sends the page's own name as Host.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "["), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// route serves the request through the mux, answering in JSON where the mux
// itself would answer 404 or 405 in plain text.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	probe := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		s.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: client.CodeMethodNotAllowed,
			Message: fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)})
		return
	}
	s.writeError(w, r, NotFound(client.CodeNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)))
}

// handlerFunc is the shape of every route: the value to answer with, or
// the error to map.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (any, error)

// withStatus answers with a status other than 200.
type withStatus struct {
	status int
	body   any
}

// wrap turns a handlerFunc into an http.HandlerFunc: the one place that
// writes answers and errors.
func (s *Server) wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if by := r.Header.Get(client.HeaderForwardedBy); by != "" {
			r = r.WithContext(WithForwardedBy(r.Context(), by))
		}
		v, err := h(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		status := http.StatusOK
		if ws, ok := v.(withStatus); ok {
			status, v = ws.status, ws.body
		}
		if err := writeJSON(w, status, v); err != nil {
			s.writeError(w, r, err)
		}
	}
}

type forwardedKey struct{}

// WithForwardedBy marks ctx as serving a request that the cluster node
// by forwarded.
func WithForwardedBy(ctx context.Context, by string) context.Context {
	return context.WithValue(ctx, forwardedKey{}, by)
}

// ForwardedBy is the cluster node that forwarded the request being
// served (client.HeaderForwardedBy), or "" when a client sent it
// directly. A backend serves a forwarded request itself or refuses it.
func ForwardedBy(ctx context.Context) string {
	by, _ := ctx.Value(forwardedKey{}).(string)
	return by
}

// writeJSON encodes v before writing anything, so an encoding failure can
// still become an error answer.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// writeError writes err in the API's error format. An *Error keeps its
// status, code and message; anything else is a 500 whose cause is logged
// under a reference that the answer carries.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		ref := newRef()
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "ref", ref, "error", err)
		e = &Error{Status: http.StatusInternalServerError, Code: client.CodeInternal,
			Message: fmt.Sprintf("internal error (ref %s); the agent's log has the cause", ref)}
	}
	body := client.ErrorBody{Error: client.ErrorDetail{Code: e.Code, Message: e.Message}}
	if werr := writeJSON(w, e.Status, body); werr != nil {
		s.logger.Error("write error answer", "error", werr)
	}
}

func newRef() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status written through it, for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// headerRecorder catches the header and status of the mux's own 404 and 405
// answers and drops their plain-text body.
type headerRecorder struct {
	header http.Header
	status int
}

func (r *headerRecorder) Header() http.Header         { return r.header }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(status int)      { r.status = status }
