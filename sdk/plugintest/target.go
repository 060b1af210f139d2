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
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// Target is the plugin under test and the fixtures the kit cannot guess.
type Target struct {
	// Binary is the built plugin, named marketsync-plugin-<name>. When it
	// is set the kit launches the real process.
	Binary string
	// New returns the plugin to serve in-process (sdk.ServeTest) when
	// Binary is empty. It is called once per check. With both set, Run
	// runs every check against each.
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
	// AuthCode, when set, is the platform's own error code for the refused
	// credentials of AuthConfig, which the AUTH error must carry.
	AuthCode string
	// BadConfigs are configs the plugin must refuse as INVALID, by name:
	// the rules its spec cannot say (a range, an enum, a URL's form). The
	// kit makes unknown, missing and mistyped fields itself. Empty skips
	// the check.
	BadConfigs map[string]string
	// RateLimit makes the platform refuse calls for quota. Nil skips the
	// check.
	RateLimit *RateLimit
	// Faults puts faults on the platform's simulator, for the check that
	// platform trouble is reported as the host expects. Nil skips it.
	Faults *Faults
	// Expect is the platform's own account of ids, to compare each result
	// with. Nil skips the check.
	Expect *Expect
	// Declared is what Describe must say beyond being complete. Nil skips
	// the check.
	Declared *Declared
	// ProductURLs maps product page URLs to the ids they name, for a
	// plugin that implements sdk.URLResolver. Empty skips that check.
	ProductURLs map[string]string
	// ForeignURLs name no product of the platform (another marketplace's
	// pages, links that need the network to follow); each must fail on
	// its own as INVALID.
	ForeignURLs []string
	// Requests, when set, counts the requests the platform (its simulator)
	// has served; the kit then checks that Configure and ResolveURLs make
	// none.
	Requests func() int64
	// Scope is passed to ListProducts; empty lists the plugin's default.
	Scope string
	// Listed, when set, is every id the listing under Scope must return,
	// in order; an empty, non-nil slice means it lists nothing. Nil skips
	// the listing check.
	Listed []string
	// PageSize is asked of ListProducts when walking the listing (default
	// 3, so a small test catalogue spans several pages); a negative one
	// asks for none, so the plugin's default applies.
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
	// Code, when set, is the platform's own error code for the refusal,
	// which the RATE_LIMITED error must carry.
	Code string
	// Wait, when set, is how long the platform asks to wait; the
	// retry-after must be within Slack of it (implies RetryAfter).
	Wait time.Duration
	// Slack is how far the retry-after may be from Wait, for a simulator
	// on a real clock (zero: exactly Wait).
	Slack time.Duration
}

// Throttle returns a RateLimit.Start for a simulator whose call limit is
// a simkit.Bucket that set(rate, burst) replaces: with no burst at rate,
// every call is refused and told to wait 1/rate; set(0, 0) restores
// service.
func Throttle(set func(rate float64, burst int), rate float64) func(testing.TB) func() {
	return func(testing.TB) func() {
		set(rate, 0)
		return func() { set(0, 0) }
	}
}

// Faults says how to put faults on the platform's simulator.
type Faults struct {
	// Inject makes the platform answer every call with f until the
	// returned func is called. Injector builds one from a simulator's
	// faultinject.Injector.
	Inject func(t testing.TB, f faultinject.Fault) (remove func())
	// Errors are the platform's own error answers and what each must
	// become, beyond the trouble every HTTP platform can be in (which the
	// kit injects itself).
	Errors []FaultError
}

// FaultError is a platform's own error answer and the error the plugin
// must report for it.
type FaultError struct {
	// Name says what the answer is, for failure messages.
	Name  string
	Fault faultinject.Fault
	// Kind the whole call must fail with.
	Kind sdk.ErrorKind
	// Code, when set, is the code the error must carry.
	Code string
	// RetryAfter, when set, is the retry-after the error must carry.
	RetryAfter time.Duration
}

// Injector returns a Faults.Inject that adds the fault to inj as a rule
// that always fires, and removes it when the check is done with it.
func Injector(inj *faultinject.Injector) func(testing.TB, faultinject.Fault) func() {
	return func(t testing.TB, f faultinject.Fault) func() {
		t.Helper()
		const name = "plugintest"
		inj.Remove(name)
		if err := inj.Add(faultinject.Rule{Name: name, Fault: f}); err != nil {
			t.Fatalf("plugintest: cannot inject %s: %v", f.Kind(), err)
		}
		return func() { inj.Remove(name) }
	}
}

// Expect is the platform's own account of what ids must come back as.
type Expect struct {
	// IDs are fetched, in batches of the declared cap; empty means
	// KnownIDs then UnknownIDs.
	IDs []string
	// Check compares what came back for id, a product or a per-item
	// error (the other nil), with what the platform holds, and returns
	// the difference.
	Check func(id string, p *sdk.Product, e *sdk.Error) error
}

// Declared is what a plugin documents about itself, for Describe to match.
// Zero fields are not checked.
type Declared struct {
	Name string
	// Capabilities are all the capabilities, in any order.
	Capabilities []sdk.Capability
	// Rate is the declared calls a second.
	Rate float64
	// MaxBatch is the batch cap of each operation listed.
	MaxBatch map[sdk.Operation]int
	// Sensitive names every sensitive config field, in the spec's order.
	Sensitive []string
	// Fields are config fields that must be in the spec, with the Type
	// and the Default given (when set).
	Fields []sdk.ConfigField
}

// Publish holds fixtures for the write checks.
type Publish struct {
	// Products are valid products to create in the store; at least one.
	// Each must have at least one variant.
	Products []sdk.Product
	// Rejected is a write the store must refuse on its own, per item. When
	// nil the kit updates a remote id that does not exist.
	Rejected *sdk.UpsertItem
	// Refused are upserts the store refuses, each with the error it must
	// come back with, for the per-item error check. Empty skips it.
	Refused []Refusal
	// AbsentRemoteIDs makes n remote ids in the store's own form that
	// name nothing, so that reads and writes of them reach the store (a
	// plugin may answer ids not in its platform's form without a call).
	// Nil uses made-up ids.
	AbsentRemoteIDs func(n int) []string
	// RaceStock arranges for the store's stock of the variant with sku to
	// become stock, as a merchant's edit would, between the plugin reading
	// it and writing it in the next stock write of that variant: the
	// write must fail as CONFLICT. Nil skips the compare-and-set check.
	RaceStock func(t testing.TB, remoteID, sku string, stock int64)
	// MerchantStock sets the store's stock of the variant with sku at
	// once, as the merchant would, for the idempotent replay check. Nil
	// skips it.
	MerchantStock func(t testing.TB, remoteID, sku string, stock int64)
	// Fencing reads what the store's conditional writes saw, for a store
	// (a simulator built with simkit.Fence) that refuses a write whose
	// fencing token is below one it accepted. Nil skips the fenced-write
	// check. That check is not among the defaults: after it the store
	// refuses writes without a token, so run it on a store of its own.
	Fencing func() simkit.FenceState
}

// Refusal is an upsert the store refuses on its own.
type Refusal struct {
	// Name says what is wrong with it, for failure messages.
	Name string
	Item sdk.UpsertItem
	// Kind and, when set, Code of the per-item error.
	Kind sdk.ErrorKind
	Code string
	// Field, when set, must appear in the error's message: the path of
	// the offending field, so the operator knows what to fix.
	Field string
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
// no checks it runs DefaultChecks. A target with both Binary and New runs
// them twice, under subtests "binary" and "in-process".
func Run(t *testing.T, target Target, checks ...Check) {
	t.Helper()
	if len(checks) == 0 {
		checks = DefaultChecks()
	}
	if target.Binary != "" && target.New != nil {
		binary, inProcess := target, target
		binary.New, inProcess.Binary = nil, ""
		t.Run("binary", func(t *testing.T) { Run(t, binary, checks...) })
		t.Run("in-process", func(t *testing.T) { Run(t, inProcess, checks...) })
		return
	}
	for _, c := range checks {
		t.Run(c.Name, func(t *testing.T) { c.Run(t, target) })
	}
}

// DefaultChecks is every check of the kit. Collector checks skip plugins
// that do not collect and write checks skip plugins that do not publish.
func DefaultChecks() []Check {
	return []Check{
		CheckDescribe(), CheckDeclared(), CheckConfigSchema(), CheckBadConfigs(), CheckPerItemResults(),
		CheckBatchCaps(), CheckRateLimited(), CheckAuth(), CheckPlatformFaults(), CheckProducts(),
		CheckExpected(), CheckListing(), CheckCursor(), CheckResolveURLs(),
		CheckUpsertIdempotent(), CheckWritesPerItem(), CheckUpsertUpdate(), CheckRefusedItems(),
		CheckStockExpected(), CheckStockConflict(), CheckStockReplay(),
	}
}

// CollectorChecks are the checks for a plugin that collects.
func CollectorChecks() []Check {
	return []Check{
		CheckDescribe(), CheckDeclared(), CheckConfigSchema(), CheckBadConfigs(), CheckPerItemResults(),
		CheckBatchCaps(), CheckRateLimited(), CheckAuth(), CheckPlatformFaults(), CheckProducts(),
		CheckExpected(), CheckListing(), CheckCursor(), CheckResolveURLs(),
	}
}

// PublisherChecks are the checks for a plugin that publishes.
func PublisherChecks() []Check {
	return []Check{
		CheckDescribe(), CheckDeclared(), CheckConfigSchema(), CheckBadConfigs(),
		CheckUpsertIdempotent(), CheckWritesPerItem(), CheckUpsertUpdate(), CheckRefusedItems(),
		CheckStockExpected(), CheckStockConflict(), CheckStockReplay(),
	}
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

// absentRemote makes n remote ids that name nothing in the store, in its
// own form when Publish.AbsentRemoteIDs says how.
func (tg *Target) absentRemote(n int) []string {
	if pub := tg.Publish; pub != nil && pub.AbsentRemoteIDs != nil {
		return pub.AbsentRemoteIDs(n)
	}
	return absentIDs(n)
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

// requests is Target.Requests, 0 without it.
func (h *harness) requests() int64 {
	if h.target.Requests == nil {
		return 0
	}
	return h.target.Requests()
}

// Launch starts the target's plugin (the binary, or New in-process) and
// configures it with config (Target.Config when empty), for a plugin's
// own tests of what the kit does not check. The plugin is stopped when t
// ends.
func Launch(t testing.TB, target Target, config string) *host.Plugin {
	t.Helper()
	if err := target.check(); err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	if config == "" {
		config = target.config()
	}
	h := &harness{t: t, ctx: t.Context(), target: &target}
	return h.configured(config)
}
