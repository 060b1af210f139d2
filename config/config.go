package config

import (
	"encoding/hex"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Config is the agent's runtime configuration: every default applied,
// every value decoded, passed around by value. Nothing in it says whether a
// value was written by the operator; the loader's file structs know that
// and are gone once Load returns.
type Config struct {
	// DataDir holds the agent's state. It is required unless InMemory.
	DataDir string
	// AcceptDataLoss starts on a data_dir that lost records since its
	// last stop instead of refusing it; only the agent's
	// -accept-data-loss flag sets it.
	AcceptDataLoss bool
	// InMemory keeps state in memory; only -dev sets it.
	InMemory  bool
	LogLevel  string // debug, info, warn or error
	LogFormat string // text or json
	// PluginDirs is the plugin search path: the directories that hold
	// plugin binaries, marketsync-plugin-<name>, searched in order. The
	// directory of the running marketsync executable is searched after
	// them (see PluginSearchPath), so the first-party plugins installed
	// beside it are always found.
	PluginDirs []string
	API        API
	Stats      Stats
	Cache      Cache
	Platforms  []Platform
	Syncs      []Sync // sync blocks (sync.go)
	EventSinks []EventSink
	// Alerting holds the alerting and alert blocks (alerting.go).
	Alerting Alerting
	// Cluster is the cluster block (cluster.go); nil runs the agent alone.
	Cluster *Cluster

	// ranges maps a setting's path ("log_level", "api.address") to where
	// its value was written, so Validate can point at it. The empty key
	// holds the start of the first file, for settings that are missing.
	ranges map[string]hcl.Range
	// failed holds where settings were written whose values did not
	// decode; Validate says nothing more about them.
	failed []hcl.Range
	// unparsed says a file did not parse: what it sets is unknown, so
	// Validate does not call a setting missing.
	unparsed bool
}

// API configures the agent's HTTP API.
type API struct {
	Address string // host:port, default 127.0.0.1:8787
	Token   Secret
	// Connection limits (see package daemon/api): how long reading a
	// request's header, and its whole header and body, may take; how long
	// an idle keep-alive connection stays open; how many connections may
	// be open at once.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	MaxConns          int
	// InsecureBind lets the API listen beyond loopback without a token.
	InsecureBind bool
	// TLS makes the API speak HTTPS; zero when the tls block is absent.
	TLS APITLS
	// Tokens are the scoped_token blocks: tokens limited to a scope,
	// beside Token, which may do anything.
	Tokens []ScopedToken
	// UnixSocket, when set, is the path of a Unix socket the API also
	// listens on, its file of mode UnixSocketMode (octal, default 0600).
	UnixSocket     string
	UnixSocketMode string
}

// SocketMode is UnixSocketMode as a file mode; Validate has checked it.
func (a API) SocketMode() os.FileMode {
	m, _ := strconv.ParseUint(a.UnixSocketMode, 8, 32)
	return os.FileMode(m) & os.ModePerm
}

// ScopedToken is one scoped_token block of the api block.
type ScopedToken struct {
	Secret Secret
	// Scope is "read" (GET routes), "write" (also start and cancel jobs)
	// or "operator" (everything, such as purging the cache).
	Scope     string
	DeclRange hcl.Range
}

// TokenScopes are the scopes a scoped_token may have, each including the
// ones before it.
var TokenScopes = []string{"read", "write", "operator"}

// APITLS is the api block's tls block: PEM files of the agent's
// certificate and key and, for mutual TLS, of the CAs whose client
// certificates the agent requires.
type APITLS struct {
	CertFile     string
	KeyFile      string
	ClientCAFile string
}

// Enabled says whether the tls block sets anything.
func (t APITLS) Enabled() bool { return t != APITLS{} }

// Loopback says whether Address listens on loopback only: localhost,
// 127.0.0.0/8 or ::1. An empty host (":8787") listens on every interface;
// another name is taken as reachable from the network.
func (a API) Loopback() bool {
	host, _, err := net.SplitHostPort(a.Address)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Guarded says whether the API authenticates its clients: by a token, or
// by the client certificates of mutual TLS.
func (a API) Guarded() bool { return a.Token != "" || len(a.Tokens) > 0 || a.TLS.ClientCAFile != "" }

// Stats configures the call statistics kept in data_dir.
type Stats struct {
	// Retention is how long per-minute statistics are kept (default 24h).
	Retention time.Duration
}

// Platform is one platform "<plugin>" "<name>" block: one account on one
// marketplace or store, served by one plugin and one platform actor.
type Platform struct {
	Plugin string // first label: the plugin, marketsync-plugin-<Plugin>
	Name   string // second label: the account, unique in the agent
	// PluginSHA256 pins the plugin binary; nil when unset.
	PluginSHA256 []byte
	// PluginPassEnv names variables of the agent's environment that the
	// plugin gets too, such as HTTPS_PROXY and NO_PROXY. A plugin gets
	// none of the agent's environment but PATH, HOME, TMPDIR, TZ and the
	// locale variables unless named here.
	PluginPassEnv []string
	// RateLimit overrides the plugin's documented limits; nil keeps them.
	RateLimit *RateLimit
	// AdaptiveRate lets the actor lower its rate on rate-limited answers
	// and probe back up (default true).
	AdaptiveRate   bool
	Retry          Retry
	CircuitBreaker CircuitBreaker
	Restart        Restart
	Timeout        time.Duration // per call to the plugin
	Concurrency    int           // calls in flight at once
	// Config is the raw config {} block. Its schema comes from the plugin
	// at run time, so it is decoded later with DecodePluginConfig. It is an
	// empty body when the block is absent. It is left out of JSON: raw
	// HCL may hold secrets that only the plugin's schema can mark.
	Config hcl.Body `json:"-"`
	// DeclRange is the block's header, for diagnostics about the platform.
	DeclRange hcl.Range

	ranges map[string]hcl.Range // as Config.ranges, relative to the block
	failed []hcl.Range          // as Config.failed
}

// RateLimit is a token bucket: Rate calls per second, bursts of Burst.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Retry is the backoff policy for retryable failures, and the budget
// that caps retries at BudgetPercent of recent calls plus
// BudgetMinPerSec.
type Retry struct {
	MaxAttempts     int
	BaseDelay       time.Duration
	MaxDelay        time.Duration
	BudgetPercent   float64
	BudgetMinPerSec float64
}

// CircuitBreaker opens when, over Window, at least MinCalls calls were
// made and FailureRatio of them failed as unavailable; open, it refuses
// calls for Cooldown, then lets Probes calls through.
type CircuitBreaker struct {
	Window       time.Duration
	MinCalls     int
	FailureRatio float64
	Cooldown     time.Duration
	Probes       int
}

// Restart bounds plugin restarts, as Nomad's restart block does: at most
// Attempts restarts within Interval (crashes, hangs, failed health checks,
// failed launches). Past them the platform is failed: with Mode
// RestartDelay it tries its plugin again after Delay, with a fresh count;
// with RestartFail it stays failed until a reload or a restart.
type Restart struct {
	Attempts int
	Interval time.Duration
	Delay    time.Duration
	Mode     string
}

// The restart modes.
const (
	RestartDelay = "delay"
	RestartFail  = "fail"
)

// DefaultAPIAddress is where the API listens unless api.address says
// otherwise: loopback, so a fresh agent is not reachable from the network.
const DefaultAPIAddress = "127.0.0.1:8787"

// Default returns the configuration an empty file gives.
func Default() *Config {
	return &Config{
		LogLevel:  "info",
		LogFormat: "text",
		API: API{Address: DefaultAPIAddress, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			IdleTimeout: 2 * time.Minute, MaxConns: 512, UnixSocketMode: "0600"},
		Stats: Stats{Retention: 24 * time.Hour},
		Cache: defaultCache(), Alerting: defaultAlerting(),
	}
}

// Dev returns the -dev configuration: Default with state in memory, info
// logs and two sandbox platforms that need no account, one source
// marketplace and one store. The overrides are the HCL in dev.hcl, merged
// like any file.
func Dev() *Config {
	cfg, _, diags := LoadDev()
	if diags.HasErrors() {
		// dev.hcl is compiled in and tested; this cannot fail at run time.
		panic("config: the built-in dev configuration does not load: " + diags.Error())
	}
	return cfg
}

// NewPlatform returns what platform "<plugin>" "<name>" {} gives: every
// setting at its default, an empty config body. It is for code that builds
// a Config in Go, such as tests.
func NewPlatform(plugin, name string) Platform {
	p := Platform{Plugin: plugin, Name: name}
	p.setDefaults()
	return p
}

// setDefaults gives a platform block's defaults before the block is merged
// onto it, so that anything the block leaves out keeps them.
func (p *Platform) setDefaults() {
	p.Timeout = 30 * time.Second
	p.Concurrency = 4
	p.AdaptiveRate = true
	p.Retry = Retry{MaxAttempts: 5, BaseDelay: 200 * time.Millisecond, MaxDelay: 30 * time.Second, BudgetPercent: 0.2, BudgetMinPerSec: 1}
	p.CircuitBreaker = CircuitBreaker{Window: 30 * time.Second, MinCalls: 20, FailureRatio: 0.5, Cooldown: 30 * time.Second, Probes: 3}
	p.Restart = Restart{Attempts: 5, Interval: 5 * time.Minute, Delay: 5 * time.Minute, Mode: RestartDelay}
	p.Config = hcl.EmptyBody()
}

func (c *Config) setRange(key string, r hcl.Range) {
	if c.ranges == nil {
		c.ranges = map[string]hcl.Range{}
	}
	c.ranges[key] = r
}

func (c *Config) setFailed(key string, r hcl.Range) {
	c.setRange(key, r)
	c.failed = append(c.failed, r)
}

func (p *Platform) setFailed(key string, r hcl.Range) {
	p.setRange(key, r)
	p.failed = append(p.failed, r)
}

func (p *Platform) setRange(key string, r hcl.Range) {
	if p.ranges == nil {
		p.ranges = map[string]hcl.Range{}
	}
	p.ranges[key] = r
}

// rangeOf says where key was set, else where the configuration starts, else
// nil for a Config built in Go.
func (c *Config) rangeOf(key string) *hcl.Range {
	if r, ok := c.ranges[key]; ok {
		return &r
	}
	if r, ok := c.ranges[""]; ok {
		return &r
	}
	return nil
}

// rangeOf says where key was set, else the block's header, else nil for a
// Platform built in Go. rangeOf("") is the header.
func (p *Platform) rangeOf(key string) *hcl.Range {
	if r, ok := p.ranges[key]; ok {
		return &r
	}
	if p.DeclRange.Filename == "" {
		return nil
	}
	r := p.DeclRange
	return &r
}

// LogValue logs the configuration without secrets and without the raw
// plugin config bodies, which may hold them.
func (c Config) LogValue() slog.Value {
	platforms := make([]slog.Attr, 0, len(c.Platforms))
	for _, p := range c.Platforms {
		platforms = append(platforms, slog.Any(p.Name, p))
	}
	return slog.GroupValue(
		slog.String("data_dir", c.DataDir),
		slog.Bool("in_memory", c.InMemory),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
		slog.Any("plugin_dir", c.PluginDirs),
		slog.Group("api", slog.String("address", c.API.Address), slog.Any("token", c.API.Token)),
		slog.Attr{Key: "platforms", Value: slog.GroupValue(platforms...)},
	)
}

// LogValue logs a platform block's settings, durations written as in the
// file. The config {} body is left out: it is raw HCL, and only
// DecodePluginConfig knows which of its attributes are sensitive.
func (p Platform) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("plugin", p.Plugin),
		slog.String("timeout", p.Timeout.String()),
		slog.Int("concurrency", p.Concurrency),
		slog.Group("retry",
			slog.Int("max_attempts", p.Retry.MaxAttempts),
			slog.String("base_delay", p.Retry.BaseDelay.String()),
			slog.String("max_delay", p.Retry.MaxDelay.String())),
	}
	if p.PluginSHA256 != nil {
		attrs = append(attrs, slog.String("plugin_sha256", hex.EncodeToString(p.PluginSHA256)))
	}
	if len(p.PluginPassEnv) > 0 {
		attrs = append(attrs, slog.Any("plugin_pass_env", p.PluginPassEnv))
	}
	if p.RateLimit != nil {
		attrs = append(attrs, slog.Group("rate_limit",
			slog.Float64("rate", p.RateLimit.Rate), slog.Int("burst", p.RateLimit.Burst)))
	}
	return slog.GroupValue(attrs...)
}
