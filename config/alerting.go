package config

import (
	_ "embed"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Alerting is the alerting block, the receiver blocks inside it and the
// alert blocks: rules over the agent's own statistics and state, and where
// and how their notifications go.
type Alerting struct {
	// Language of the built-in texts: "en" or "zh-CN" (default "en").
	Language string
	// EvaluationInterval is how often every rule is evaluated (default 30s).
	EvaluationInterval time.Duration
	// ExternalURL is the agent's API as the people paged reach it; messages
	// link to <ExternalURL>/v1/alerts. Default http://<api.address>.
	ExternalURL string
	// DefaultRules keeps the built-in rules (default true); an alert block
	// named like one replaces it, and disabled = true turns it off.
	DefaultRules bool
	Receivers    []Receiver
	Routes       []Route
	Inhibits     []Inhibit
	// Rules are the rules in force: the built-in ones not replaced or
	// disabled, then the configured ones, in file order.
	Rules []AlertRule

	ranges map[string]hcl.Range
	// user are the alert blocks read from files, before defaults are laid
	// under them (see resolveAlertRules).
	user []AlertRule
}

// AlertRule is one alert "<name>" block.
type AlertRule struct {
	Name          string
	Expr          *AlertExpr
	For           time.Duration
	KeepFiringFor time.Duration
	Severity      string // critical, warning or info (default warning)
	Labels        map[string]string
	Annotations   map[string]string
	Disabled      bool
	// Builtin says the rule is one of DefaultAlertRules.
	Builtin   bool
	DeclRange hcl.Range
}

// Receiver is one receiver "<kind>" "<name>" block: where notifications go.
type Receiver struct {
	Kind string // dingtalk, wecom, feishu, email or webhook
	Name string
	// URL is the robot's webhook (dingtalk, wecom, feishu) or the
	// endpoint (webhook).
	URL string
	// Secret signs requests: dingtalk and feishu robots' signing secret,
	// the webhook's HMAC key.
	Secret Secret
	// At (dingtalk): mobiles and user ids to @, or everyone.
	AtMobiles []string
	AtUserIDs []string
	AtAll     bool
	// Email: Smarthost is host:port of the SMTP server; TLS is "starttls"
	// (default), "tls" (implicit, port 465) or "none".
	Smarthost string
	From      string
	To        []string
	Username  string
	Password  Secret
	TLS       string
	// Title and Text override the built-in templates (Go text/template).
	Title     string
	Text      string
	DeclRange hcl.Range
}

// Route sends the alerts its matchers select to Receiver, grouped.
type Route struct {
	Receiver string
	Matchers []Matcher
	// GroupBy are the labels whose values split alerts into groups; one
	// notification covers one group.
	GroupBy []string
	// GroupWait delays a new group's first notification so that alerts
	// firing together go out together; GroupInterval is the least time
	// between two notifications of a group that changed; RepeatInterval
	// resends a group that did not change.
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration
	SendResolved   bool
	// Continue goes on to the next routes after this one matched.
	Continue  bool
	DeclRange hcl.Range

	where map[string]hcl.Range // where group_by and matchers were written
}

// Inhibit mutes the alerts matching Target while an alert matching Source
// fires with the same values of the Equal labels.
type Inhibit struct {
	Source, Target []Matcher
	Equal          []string
	DeclRange      hcl.Range

	where map[string]hcl.Range // where each list was written
}

// Matcher is label=value, label!=value, label=~regexp or label!~regexp;
// regular expressions are anchored, as in Alertmanager.
type Matcher struct {
	Label, Op, Value string
	re               *regexp.Regexp
}

// Matches says whether labels satisfy m; a missing label reads as "".
func (m Matcher) Matches(labels map[string]string) bool {
	v := labels[m.Label]
	switch m.Op {
	case "=":
		return v == m.Value
	case "!=":
		return v != m.Value
	case "=~":
		return m.re.MatchString(v)
	default:
		return !m.re.MatchString(v)
	}
}

func (m Matcher) String() string { return m.Label + m.Op + m.Value }

// MatchAll says whether labels satisfy every matcher.
func MatchAll(ms []Matcher, labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels) {
			return false
		}
	}
	return true
}

var matcherSyntax = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$`)

// ParseMatcher reads `label=value`, `label!=value`, `label=~re` or
// `label!~re`; the value may be quoted.
func ParseMatcher(s string) (Matcher, error) {
	g := matcherSyntax.FindStringSubmatch(s)
	if g == nil {
		return Matcher{}, fmt.Errorf("%q is not a matcher: write label=value, label!=value, label=~regexp or label!~regexp", s)
	}
	m := Matcher{Label: g[1], Op: g[2], Value: g[3]}
	if m.Op == "=~" || m.Op == "!~" {
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return Matcher{}, fmt.Errorf("%q: %w", s, err)
		}
		m.re = re
	}
	return m, nil
}

// The receiver kinds and what each takes besides title and text.
var receiverAttrs = map[string][]string{
	"dingtalk": {"url", "secret", "at_mobiles", "at_user_ids", "at_all"},
	"wecom":    {"url"},
	"feishu":   {"url", "secret"},
	"webhook":  {"url", "secret"},
	"email":    {"smarthost", "from", "to", "username", "password", "tls"},
}

var (
	alertSeverities = []string{"critical", "warning", "info"}
	alertLanguages  = []string{"en", "zh-CN"}
	emailTLS        = []string{"starttls", "tls", "none"}
	validAlertName  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	labelName       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// defaultAlertsFilename names the built-in rules in diagnostics.
const defaultAlertsFilename = "<default alerts>"

//go:embed alerting_defaults.hcl
var defaultAlertsSource []byte

// DefaultAlertRules are the rules a new install gets, from
// alerting_defaults.hcl.
func DefaultAlertRules() []AlertRule {
	f, diags := hclparse.NewParser().ParseHCL(defaultAlertsSource, defaultAlertsFilename)
	if diags.HasErrors() {
		panic("config: the built-in alert rules do not parse: " + diags.Error())
	}
	var a Alerting
	body, diags := a.decodeAlerts(f.Body, nil)
	if diags.HasErrors() {
		panic("config: the built-in alert rules do not decode: " + diags.Error())
	}
	_ = body
	for i := range a.user {
		a.user[i].Builtin = true
	}
	return a.user
}

// DefaultInhibits are the inhibition rules every agent has: a platform
// whose credentials were refused does not also page for its error rate or
// its open breaker, which only restate it.
func DefaultInhibits() []Inhibit {
	must := func(s string) Matcher {
		m, err := ParseMatcher(s)
		if err != nil {
			panic(err)
		}
		return m
	}
	return []Inhibit{
		{Source: []Matcher{must("alertname=~platform-unauthorized|platform-failed")},
			Target: []Matcher{must("alertname=~platform-error-rate|platform-breaker-open|platform-rate-limited")},
			Equal:  []string{"platform"}},
	}
}

func defaultAlerting() Alerting {
	return Alerting{Language: "en", EvaluationInterval: 30 * time.Second, DefaultRules: true}
}

func defaultRoute() Route {
	return Route{GroupBy: []string{"alertname", "platform"}, GroupWait: 30 * time.Second,
		GroupInterval: 5 * time.Minute, RepeatInterval: 4 * time.Hour, SendResolved: true}
}

func (a *Alerting) setRange(key string, r hcl.Range) {
	if a.ranges == nil {
		a.ranges = map[string]hcl.Range{}
	}
	a.ranges[key] = r
}

// decodeAlerting takes the alert and alerting blocks out of a file's body
// and returns the rest. Alert, receiver, route and inhibit blocks
// accumulate across files; the alerting block's settings are replaced by a
// later file's.
func (c *Config) decodeAlerting(body hcl.Body, ctx *hcl.EvalContext) (hcl.Body, hcl.Diagnostics) {
	body, diags := c.Alerting.decodeAlerts(body, ctx)
	content, rest, d := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "alerting"}}})
	diags = append(diags, d...)
	for _, b := range content.Blocks {
		diags = append(diags, c.Alerting.decodeBlock(b.Body, ctx)...)
	}
	return rest, diags
}

func (a *Alerting) decodeAlerts(body hcl.Body, ctx *hcl.EvalContext) (hcl.Body, hcl.Diagnostics) {
	content, rest, diags := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "alert", LabelNames: []string{"name"}}}})
	for _, b := range content.Blocks {
		r := AlertRule{Name: b.Labels[0], Severity: "warning", DeclRange: b.DefRange}
		diags = append(diags, r.decode(b.Body, ctx)...)
		a.user = append(a.user, r)
	}
	return rest, diags
}

// ad decodes attributes of one alerting block into Go values.
type ad struct {
	ctx   *hcl.EvalContext
	attrs hcl.Attributes
	diags hcl.Diagnostics
	set   func(name string, r hcl.Range)
}

func (d *ad) content(body hcl.Body, attrs []string, blocks ...hcl.BlockHeaderSchema) hcl.Blocks {
	schema := &hcl.BodySchema{Blocks: blocks}
	for _, a := range attrs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: a})
	}
	content, diags := body.Content(schema)
	suggestNames(diags, schemaNames(schema), "")
	d.diags = append(d.diags, diags...)
	d.attrs = content.Attributes
	return content.Blocks
}

func (d *ad) value(name string, dst any) bool {
	a := d.attrs[name]
	if a == nil {
		return false
	}
	set, diags := decodeValue(name, a.Expr, d.ctx, dst, false)
	d.diags = append(d.diags, diags...)
	if set && d.set != nil {
		d.set(name, a.Expr.Range())
	}
	return set
}

func (d *ad) secret(name string, dst *Secret) {
	if a := d.attrs[name]; a != nil {
		_, diags := decodeValue(name, a.Expr, d.ctx, dst, true)
		d.diags = append(d.diags, diags...)
	}
}

func (d *ad) rng(name string) *hcl.Range {
	if a := d.attrs[name]; a != nil {
		return a.Expr.Range().Ptr()
	}
	return nil
}

// ranges says where each of names was written, for those that were.
func (d *ad) ranges(names ...string) map[string]hcl.Range {
	out := map[string]hcl.Range{}
	for _, n := range names {
		if r := d.rng(n); r != nil {
			out[n] = *r
		}
	}
	return out
}

// at is where[name] when it was written, else decl.
func at(where map[string]hcl.Range, name string, decl hcl.Range) hcl.Range {
	if r, ok := where[name]; ok {
		return r
	}
	return decl
}

// matchers decodes a list of matcher strings.
func (d *ad) matchers(name string) []Matcher {
	var list []string
	if !d.value(name, &list) {
		return nil
	}
	var out []Matcher
	for _, s := range list {
		m, err := ParseMatcher(s)
		if err != nil {
			d.diags = append(d.diags, diagnostic("Invalid matcher", d.rng(name), "%s: %s.", name, err))
			continue
		}
		out = append(out, m)
	}
	return out
}

// stringMap reads a block of string attributes, such as labels {}.
func stringMap(body hcl.Body, ctx *hcl.EvalContext) (map[string]string, hcl.Diagnostics) {
	attrs, diags := body.JustAttributes()
	out := map[string]string{}
	for name, a := range attrs {
		var v string
		if set, d := decodeValue(name, a.Expr, ctx, &v, false); set {
			out[name] = v
		} else {
			diags = append(diags, d...)
		}
		if !labelName.MatchString(name) {
			diags = append(diags, diagnostic("Invalid label name", a.NameRange.Ptr(),
				"%q is not a label name: use letters, digits and _, not starting with a digit.", name))
		}
	}
	return out, diags
}

func (r *AlertRule) decode(body hcl.Body, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := &ad{ctx: ctx}
	blocks := d.content(body, []string{"expr", "for", "keep_firing_for", "severity", "disabled"},
		hcl.BlockHeaderSchema{Type: "labels"}, hcl.BlockHeaderSchema{Type: "annotations"})
	if !validAlertName.MatchString(r.Name) {
		d.diags = append(d.diags, diagnostic("Invalid alert name", r.DeclRange.Ptr(),
			"%q is not an alert name: use letters, digits, '.', '_' and '-', starting with a letter or digit.", r.Name))
	}
	if a := d.attrs["expr"]; a != nil {
		e, diags := ParseAlertExpr(a.Expr)
		d.diags = append(d.diags, diags...)
		r.Expr = e
	}
	d.value("for", &r.For)
	d.value("keep_firing_for", &r.KeepFiringFor)
	d.value("severity", &r.Severity)
	d.value("disabled", &r.Disabled)
	for _, b := range blocks {
		m, diags := stringMap(b.Body, ctx)
		d.diags = append(d.diags, diags...)
		if b.Type == "labels" {
			r.Labels = m
		} else {
			r.Annotations = m
		}
	}
	if d.attrs["expr"] == nil && !r.Disabled {
		d.diags = append(d.diags, diagnostic("Missing expr", r.DeclRange.Ptr(),
			`The alert %q needs an expr, such as expr = error_rate("taobao.*", "5m") > 0.05.`, r.Name))
	}
	d.diags = append(d.diags, oneOf("severity", r.Severity, alertSeverities, d.rng("severity"))...)
	for key, v := range map[string]time.Duration{"for": r.For, "keep_firing_for": r.KeepFiringFor} {
		if v < 0 {
			d.diags = append(d.diags, diagnostic("Invalid "+key, d.rng(key), "%s must not be negative.", key))
		}
	}
	return d.diags
}

func (a *Alerting) decodeBlock(body hcl.Body, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := &ad{ctx: ctx, set: a.setRange}
	blocks := d.content(body, []string{"language", "evaluation_interval", "external_url", "default_rules"},
		hcl.BlockHeaderSchema{Type: "receiver", LabelNames: []string{"kind", "name"}},
		hcl.BlockHeaderSchema{Type: "route"}, hcl.BlockHeaderSchema{Type: "inhibit"})
	d.value("language", &a.Language)
	d.value("evaluation_interval", &a.EvaluationInterval)
	d.value("external_url", &a.ExternalURL)
	d.value("default_rules", &a.DefaultRules)
	for _, b := range blocks {
		switch b.Type {
		case "receiver":
			r := Receiver{Kind: b.Labels[0], Name: b.Labels[1], TLS: "starttls", DeclRange: b.DefRange}
			d.diags = append(d.diags, r.decode(b, ctx)...)
			a.Receivers = append(a.Receivers, r)
		case "route":
			r := defaultRoute()
			r.DeclRange = b.DefRange
			rd := &ad{ctx: ctx}
			rd.content(b.Body, []string{"receiver", "matchers", "group_by", "group_wait", "group_interval", "repeat_interval", "send_resolved", "continue"})
			rd.value("receiver", &r.Receiver)
			r.Matchers = rd.matchers("matchers")
			rd.value("group_by", &r.GroupBy)
			rd.value("group_wait", &r.GroupWait)
			rd.value("group_interval", &r.GroupInterval)
			rd.value("repeat_interval", &r.RepeatInterval)
			rd.value("send_resolved", &r.SendResolved)
			rd.value("continue", &r.Continue)
			r.where = rd.ranges("group_by", "matchers")
			if r.Receiver == "" && rd.attrs["receiver"] == nil {
				rd.diags = append(rd.diags, diagnostic("Missing receiver", b.DefRange.Ptr(), "A route needs receiver = \"<name of a receiver block>\"."))
			}
			for key, v := range map[string]time.Duration{"group_wait": r.GroupWait, "group_interval": r.GroupInterval, "repeat_interval": r.RepeatInterval} {
				if v < 0 || (key != "group_wait" && v < time.Second) {
					rd.diags = append(rd.diags, diagnostic("Invalid "+key, rd.rng(key), "%s must be at least 1s (group_wait may be 0), not %s.", key, v))
				}
			}
			d.diags = append(d.diags, rd.diags...)
			a.Routes = append(a.Routes, r)
		case "inhibit":
			in := Inhibit{DeclRange: b.DefRange}
			id := &ad{ctx: ctx}
			id.content(b.Body, []string{"source_matchers", "target_matchers", "equal"})
			in.Source = id.matchers("source_matchers")
			in.Target = id.matchers("target_matchers")
			id.value("equal", &in.Equal)
			in.where = id.ranges("source_matchers", "target_matchers", "equal")
			if len(in.Source) == 0 || len(in.Target) == 0 {
				id.diags = append(id.diags, diagnostic("Incomplete inhibit", b.DefRange.Ptr(), "An inhibit block needs source_matchers and target_matchers."))
			}
			d.diags = append(d.diags, id.diags...)
			a.Inhibits = append(a.Inhibits, in)
		}
	}
	return d.diags
}

func (r *Receiver) decode(b *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := &ad{ctx: ctx}
	allowed, ok := receiverAttrs[r.Kind]
	if !ok {
		kinds := []string{"dingtalk", "wecom", "feishu", "email", "webhook"}
		return hcl.Diagnostics{diagnostic("Unknown receiver kind", b.LabelRanges[0].Ptr(),
			"%q is not a receiver kind: use one of %s.", r.Kind, strings.Join(kinds, ", "))}
	}
	d.content(b.Body, append([]string{"title", "text"}, allowed...))
	d.value("url", &r.URL)
	d.secret("secret", &r.Secret)
	d.value("at_mobiles", &r.AtMobiles)
	d.value("at_user_ids", &r.AtUserIDs)
	d.value("at_all", &r.AtAll)
	d.value("smarthost", &r.Smarthost)
	d.value("from", &r.From)
	d.value("to", &r.To)
	d.value("username", &r.Username)
	d.secret("password", &r.Password)
	d.value("tls", &r.TLS)
	d.value("title", &r.Title)
	d.value("text", &r.Text)
	if d.diags.HasErrors() {
		return d.diags
	}
	need := func(name string, missing bool, why string) {
		if missing {
			d.diags = append(d.diags, diagnostic("Missing "+name, r.DeclRange.Ptr(), "The %s receiver %q needs %s: %s.", r.Kind, r.Name, name, why))
		}
	}
	switch r.Kind {
	case "dingtalk":
		need("secret", r.Secret == "", "the robot's signing secret (加签), which the robot checks on every message")
	case "feishu":
		need("secret", r.Secret == "", "the bot's signature secret (签名校验)")
	case "webhook":
		need("secret", r.Secret == "", "the key that signs each request (X-Marketsync-Signature), so the receiver can tell it came from this agent")
	case "email":
		need("smarthost", r.Smarthost == "", "host:port of the SMTP server")
		need("from", r.From == "", "the sender's address")
		need("to", len(r.To) == 0, "at least one recipient")
		d.diags = append(d.diags, oneOf("tls", r.TLS, emailTLS, d.rng("tls"))...)
		for _, addr := range append([]string{r.From}, r.To...) {
			if _, err := mail.ParseAddress(addr); addr != "" && err != nil {
				d.diags = append(d.diags, diagnostic("Invalid address", r.DeclRange.Ptr(), "%q is not an email address: %s.", addr, err))
			}
		}
	}
	for _, t := range []struct{ name, text string }{{"title", r.Title}, {"text", r.Text}} {
		if t.text == "" {
			continue
		}
		if _, err := template.New(t.name).Funcs(templateFuncStubs()).Parse(t.text); err != nil {
			d.diags = append(d.diags, diagnostic("Invalid template", d.rng(t.name), "%s is not a Go text/template: %s.", t.name, err))
		}
	}
	if r.Kind != "email" {
		u, err := url.Parse(r.URL)
		switch {
		case r.URL == "":
			need("url", true, "the webhook URL to post to")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			d.diags = append(d.diags, diagnostic("Invalid url", d.rng("url"), "url must be an http or https URL, not %q.", r.URL))
		case r.Kind == "wecom" && u.Query().Get("key") == "":
			d.diags = append(d.diags, diagnostic("Missing key", d.rng("url"), "A wecom robot's url carries its key: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>."))
		}
	}
	return d.diags
}

// resolveAlertRules lays the configured alert blocks over the built-in
// rules: a block named like a built-in rule replaces it.
func (c *Config) resolveAlertRules() {
	a := &c.Alerting
	byName := map[string]bool{}
	for _, r := range a.user {
		byName[r.Name] = true
	}
	a.Rules = nil
	if a.DefaultRules {
		for _, r := range DefaultAlertRules() {
			if !byName[r.Name] {
				a.Rules = append(a.Rules, r)
			}
		}
	}
	for _, r := range a.user {
		if !r.Disabled {
			a.Rules = append(a.Rules, r)
		}
	}
}

// TemplateFuncs are the functions receiver templates may call besides
// text/template's own; daemon/alerting defines them.
var TemplateFuncs = []string{"upper", "default", "firing", "value", "since", "builtin"}

// templateFuncStubs lets a template parse here, where only the names of
// its functions matter.
func templateFuncStubs() template.FuncMap {
	m := template.FuncMap{}
	for _, name := range TemplateFuncs {
		m[name] = func(...any) any { return nil }
	}
	return m
}

// builtinLabels are the labels every alert may carry, set by the agent.
var builtinLabels = []string{"alertname", "severity", "receiver"}

// validateAlerting checks what needs the whole configuration: unique
// names, routes to receivers that exist, labels that some rule can give.
func (c *Config) validateAlerting() hcl.Diagnostics {
	a := &c.Alerting
	var diags hcl.Diagnostics
	arng := func(key string) *hcl.Range {
		if r, ok := a.ranges[key]; ok {
			return &r
		}
		return c.rangeOf(key)
	}
	diags = append(diags, oneOf("alerting.language", a.Language, alertLanguages, arng("language"))...)
	if a.EvaluationInterval < time.Second {
		diags = append(diags, diagnostic("Invalid alerting.evaluation_interval", arng("evaluation_interval"),
			"alerting.evaluation_interval must be at least 1s, not %s.", a.EvaluationInterval))
	}
	if a.ExternalURL != "" {
		if u, err := url.Parse(a.ExternalURL); err != nil || u.Host == "" {
			diags = append(diags, diagnostic("Invalid alerting.external_url", arng("external_url"), "alerting.external_url must be an absolute URL, not %q.", a.ExternalURL))
		}
	}
	seen := map[string]hcl.Range{}
	for _, r := range a.user {
		if prev, ok := seen[r.Name]; ok {
			diags = append(diags, diagnostic("Duplicate alert name", r.DeclRange.Ptr(), "An alert named %q is already defined at %s.", r.Name, prev))
		}
		seen[r.Name] = r.DeclRange
	}
	known := map[string]bool{}
	for _, l := range builtinLabels {
		known[l] = true
	}
	for _, r := range a.Rules {
		if r.Expr != nil {
			for _, l := range r.Expr.Labels() {
				known[l] = true
			}
		}
		for l := range r.Labels {
			known[l] = true
		}
	}
	receivers := map[string]*Receiver{}
	for i := range a.Receivers {
		r := &a.Receivers[i]
		if prev, ok := receivers[r.Name]; ok {
			diags = append(diags, diagnostic("Duplicate receiver name", r.DeclRange.Ptr(), "A receiver named %q is already defined at %s.", r.Name, prev.DeclRange))
		}
		receivers[r.Name] = r
	}
	checkLabels := func(what string, labels []string, where hcl.Range) {
		for _, l := range labels {
			if !known[l] {
				diags = append(diags, diagnostic("Unknown label", where.Ptr(),
					"%s names the label %q, which no alert rule gives; known labels: %s.", what, l, strings.Join(sortedKeys(known), ", ")))
			}
		}
	}
	matcherLabels := func(ms []Matcher) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Label)
		}
		return out
	}
	for _, r := range a.Routes {
		if _, ok := receivers[r.Receiver]; !ok && r.Receiver != "" {
			diags = append(diags, diagnostic("Unknown receiver", r.DeclRange.Ptr(), "The route sends to %q, but no receiver block has that name.", r.Receiver))
		}
		checkLabels("group_by", r.GroupBy, at(r.where, "group_by", r.DeclRange))
		checkLabels("matchers", matcherLabels(r.Matchers), at(r.where, "matchers", r.DeclRange))
	}
	for _, in := range a.Inhibits {
		checkLabels("source_matchers", matcherLabels(in.Source), at(in.where, "source_matchers", in.DeclRange))
		checkLabels("target_matchers", matcherLabels(in.Target), at(in.where, "target_matchers", in.DeclRange))
		checkLabels("equal", in.Equal, at(in.where, "equal", in.DeclRange))
	}
	if len(a.Receivers) > 0 && len(a.Routes) == 0 {
		diags = append(diags, diagnostic("No route", a.Receivers[0].DeclRange.Ptr(),
			"The alerting block has receivers but no route block sends anything to them; add route { receiver = %q }.", a.Receivers[0].Name))
	}
	return diags
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// SameAs reports whether a and b alert alike: the same rules, receivers
// (secrets included), routes and inhibitions, wherever they were written.
func (a Alerting) SameAs(b Alerting) bool {
	return reflect.DeepEqual(a.canonical(), b.canonical())
}

// canonical is a with every source range left out and expressions written
// as text.
func (a Alerting) canonical() Alerting {
	out := Alerting{Language: a.Language, EvaluationInterval: a.EvaluationInterval, ExternalURL: a.ExternalURL, DefaultRules: a.DefaultRules}
	for _, r := range a.Rules {
		expr := ""
		if r.Expr != nil {
			expr = r.Expr.String()
		}
		r.DeclRange, r.Expr = hcl.Range{}, nil
		r.Annotations = maps.Clone(r.Annotations)
		if r.Annotations == nil {
			r.Annotations = map[string]string{}
		}
		r.Annotations["\x00expr"] = expr
		out.Rules = append(out.Rules, r)
	}
	for _, r := range a.Receivers {
		r.DeclRange = hcl.Range{}
		out.Receivers = append(out.Receivers, r)
	}
	for _, r := range a.Routes {
		r.DeclRange, r.where = hcl.Range{}, nil
		out.Routes = append(out.Routes, r)
	}
	for _, in := range a.Inhibits {
		in.DeclRange, in.where = hcl.Range{}, nil
		out.Inhibits = append(out.Inhibits, in)
	}
	return out
}
