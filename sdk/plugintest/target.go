package plugintest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
)

// Target is the plugin under test and the fixtures the kit cannot guess.
type Target struct {
	// Binary is the built plugin, named marketsync-plugin-<name>. When it
	// is set the kit launches the real process.
	Binary string
	// New returns the plugin to serve in-process (sdk.ServeTest) when
	// Binary is empty. It is called once per check.
	New func() sdk.Plugin

	// Config is a valid config block as a JSON object, the form the host
	// hands to Configure. Empty means {}.
	Config string
	// KnownIDs exist on the platform and must come back as products; a
	// collector must also list them under Scope.
	KnownIDs []string
	// UnknownIDs do not exist and must come back per item as NOT_FOUND.
	UnknownIDs []string
	// AuthConfig is a config with credentials the platform refuses; calls
	// made under it must fail as AUTH. Empty skips the check.
	AuthConfig string
	// RateLimit makes the platform refuse calls for quota. Nil skips the
	// check.
	RateLimit *RateLimit
	// ProductURLs maps product page URLs to the ids they name, for a
	// plugin that implements sdk.URLResolver. Empty skips that check.
	ProductURLs map[string]string
	// Scope is passed to ListProducts; empty lists the plugin's default.
	Scope string
	// PageSize is asked of ListProducts when walking the listing (default
	// 3, so a small test catalogue spans several pages).
	PageSize int
	// Publish holds the fixtures for a plugin that publishes. A publishing
	// plugin without them fails the write checks.
	Publish *Publish
	// Timeout bounds each check (default two minutes).
	Timeout time.Duration

	// serve replaces sdk.ServeTest; the kit's own tests use it to put
	// faults below the SDK's server.
	serve func(ctx context.Context, p sdk.Plugin) (*plugin.ReattachConfig, <-chan struct{}, error)
}

// RateLimit says how to make the platform refuse calls for quota.
type RateLimit struct {
	// Start, when set, flips the platform's simulator into refusing every
	// call for quota and returns a func that restores normal service.
	Start func(t testing.TB) (restore func())
	// Config, when set, is used instead of Target.Config: a config under
	// which the platform refuses calls for quota within a few calls (a
	// simulator's rate knob set very low, for example).
	Config string
	// RetryAfter says the platform tells how long to wait, so the
	// RATE_LIMITED error must carry a retry-after.
	RetryAfter bool
}

// Publish holds fixtures for the write checks.
type Publish struct {
	// Products are valid products to create in the store; at least one.
	// Each must have at least one variant.
	Products []sdk.Product
	// Rejected is a write the store must refuse on its own, per item. When
	// nil the kit updates a remote id that does not exist.
	Rejected *sdk.UpsertItem
}

const (
	defaultPageSize = 3
	defaultTimeout  = 2 * time.Minute
	// absentPrefix starts the ids the kit makes up; no platform has them.
	absentPrefix = "plugintest-absent-"
)

// Check is one named rule of the kit.
type Check struct {
	// Name is the subtest's name.
	Name string
	run  func(h *harness)
}

// Run runs the check against target as part of t, without a subtest; Run
// (the package function) is the usual entry point.
func (c Check) Run(t testing.TB, target Target) {
	t.Helper()
	if err := target.check(); err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	timeout := target.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	c.run(&harness{t: t, ctx: ctx, target: &target})
}

// Run runs checks against target, each as a subtest named after it; with
// no checks it runs DefaultChecks.
func Run(t *testing.T, target Target, checks ...Check) {
	t.Helper()
	if len(checks) == 0 {
		checks = DefaultChecks()
	}
	for _, c := range checks {
		t.Run(c.Name, func(t *testing.T) { c.Run(t, target) })
	}
}

// DefaultChecks is every check of the kit. Collector checks skip plugins
// that do not collect and write checks skip plugins that do not publish.
func DefaultChecks() []Check {
	return []Check{
		CheckDescribe(), CheckConfigSchema(), CheckPerItemResults(), CheckBatchCaps(),
		CheckRateLimited(), CheckAuth(), CheckProducts(), CheckCursor(), CheckResolveURLs(),
		CheckUpsertIdempotent(), CheckWritesPerItem(),
	}
}

// CollectorChecks are the checks for a plugin that collects.
func CollectorChecks() []Check {
	return []Check{
		CheckDescribe(), CheckConfigSchema(), CheckPerItemResults(), CheckBatchCaps(),
		CheckRateLimited(), CheckAuth(), CheckProducts(), CheckCursor(), CheckResolveURLs(),
	}
}

// PublisherChecks are the checks for a plugin that publishes.
func PublisherChecks() []Check {
	return []Check{CheckDescribe(), CheckConfigSchema(), CheckUpsertIdempotent(), CheckWritesPerItem()}
}

// Collector runs CollectorChecks against target.
func Collector(t *testing.T, target Target) { t.Helper(); Run(t, target, CollectorChecks()...) }

// Publisher runs PublisherChecks against target.
func Publisher(t *testing.T, target Target) { t.Helper(); Run(t, target, PublisherChecks()...) }

// check reports a Target the kit cannot use.
func (tg *Target) check() error {
	if tg.Binary == "" && tg.New == nil {
		return fmt.Errorf("Target needs Binary (a built plugin) or New (an in-process plugin)")
	}
	for name, cfg := range map[string]string{"Config": tg.Config, "AuthConfig": tg.AuthConfig} {
		if _, err := configValues(cfg); err != nil {
			//lint:ignore ST1005 the message starts with the field's Go name, not a sentence
			return fmt.Errorf("Target.%s: %w", name, err)
		}
	}
	return nil
}

func (tg *Target) config() string {
	if strings.TrimSpace(tg.Config) == "" {
		return "{}"
	}
	return tg.Config
}

// binaryName is the base name of Binary without a Windows suffix.
func (tg *Target) binaryName() string {
	return strings.TrimSuffix(filepath.Base(tg.Binary), ".exe")
}

// configValues decodes a config JSON object ("" is {}).
func configValues(cfg string) (map[string]any, error) {
	values := map[string]any{}
	if strings.TrimSpace(cfg) == "" {
		return values, nil
	}
	if err := json.Unmarshal([]byte(cfg), &values); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	return values, nil
}

// harness is one check's view of the target.
type harness struct {
	t      testing.TB
	ctx    context.Context
	target *Target
}

// start launches a fresh plugin, unconfigured, and kills it when the check
// ends.
func (h *harness) start() *host.Plugin {
	h.t.Helper()
	tg := h.target
	opts := host.Options{Path: tg.Binary}
	if tg.Binary == "" {
		serve := tg.serve
		if serve == nil {
			serve = sdk.ServeTest
		}
		ctx, cancel := context.WithCancel(context.Background())
		rc, closed, err := serve(ctx, tg.New())
		if err != nil {
			cancel()
			h.t.Fatalf("the plugin could not be served in-process: %v", err)
		}
		h.t.Cleanup(func() { cancel(); <-closed })
		opts = host.Options{Reattach: rc}
	}
	p, err := host.Launch(h.ctx, opts)
	if err != nil {
		h.t.Fatalf("the plugin could not be launched: %v", err)
	}
	h.t.Cleanup(p.Kill)
	return p
}

// configured launches a fresh plugin and configures it with cfg.
func (h *harness) configured(cfg string) *host.Plugin {
	h.t.Helper()
	p := h.start()
	if err := p.Configure(h.ctx, []byte(cfg)); err != nil {
		h.t.Fatalf("the plugin refused the config %s: %v", cfg, err)
	}
	return p
}

// collector launches the plugin configured with Target.Config, or skips
// the check when the plugin does not collect.
func (h *harness) collector() *host.Plugin {
	h.t.Helper()
	p := h.configured(h.target.config())
	if !p.Description().Has(sdk.CapabilityCollect) {
		h.t.Skip("the plugin does not collect")
	}
	return p
}

// publisher launches the plugin configured with Target.Config, or skips
// the check when the plugin does not publish. A publishing plugin with no
// Publish fixtures fails.
func (h *harness) publisher() (*host.Plugin, *Publish) {
	h.t.Helper()
	p := h.configured(h.target.config())
	if !p.Description().Has(sdk.CapabilityPublish) {
		h.t.Skip("the plugin does not publish")
	}
	pub := h.target.Publish
	if pub == nil || len(pub.Products) == 0 {
		h.t.Fatal("the plugin publishes but Target.Publish has no Products to write")
	}
	for i := range pub.Products {
		if err := pub.Products[i].Validate(); err != nil {
			h.t.Fatalf("Target.Publish.Products[%d] is not a valid product: %v", i, err)
		}
	}
	return p, pub
}

// need skips the check when a fixture is missing.
func (h *harness) need(ok bool, field string) {
	h.t.Helper()
	if !ok {
		h.t.Skipf("set Target.%s to run this check", field)
	}
}

// foreignURLs makes up n URLs that name no product of any platform.
func foreignURLs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("https://plugintest.invalid/not-a-product/%d", i+1)
	}
	return out
}

// absentIDs makes up n ids no platform has.
func absentIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", absentPrefix, i+1)
	}
	return out
}

// distinctIDs returns n distinct ids: the known ids, then the unknown
// ones, then made-up ones.
func (tg *Target) distinctIDs(n int) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range append(append(append([]string(nil), tg.KnownIDs...), tg.UnknownIDs...), absentIDs(n)...) {
		if len(out) == n {
			break
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// withField returns cfg with name set to v, or removed when v is nil.
func withField(cfg map[string]any, name string, v any) string {
	c := maps.Clone(cfg)
	if v == nil {
		delete(c, name)
	} else {
		c[name] = v
	}
	b, _ := json.Marshal(c)
	return string(b)
}
