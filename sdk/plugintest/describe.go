package plugintest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
)

// semver is Semantic Versioning 2.0's own pattern, without a leading "v".
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// CheckDescribe checks that Describe is complete and consistent: a name
// (matching the binary's marketsync-plugin-<name> when a binary is
// tested), a semantic version, a summary, at least one capability, a rate
// and a burst, a batch cap for every operation of every capability, and a
// valid config spec whose every field is described. Resolving URLs needs
// a cap only from plugins that implement sdk.URLResolver.
func CheckDescribe() Check {
	return Check{Name: "describe", run: func(h *harness) {
		p := h.start()
		for _, problem := range describeProblems(p.Description(), h.target, h.resolvesURLs(p)) {
			h.t.Errorf("Describe is incomplete: %s", problem)
		}
	}}
}

func describeProblems(d sdk.Description, tg *Target, resolvesURLs bool) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if d.Name == "" {
		bad("name is empty")
	} else if tg.Binary != "" && tg.binaryName() != "marketsync-plugin-"+d.Name {
		bad("name %q does not match the binary %q: plugins are installed as marketsync-plugin-<name>", d.Name, tg.binaryName())
	}
	if !semver.MatchString(d.Version) {
		bad("version %q is not a semantic version such as 1.2.0", d.Version)
	}
	if d.Summary == "" {
		bad("summary is empty: say in one line what platform this talks to")
	}
	if len(d.Capabilities) == 0 {
		bad("no capability: the plugin implements neither sdk.Collector nor sdk.Publisher")
	}
	if d.Limits.Rate <= 0 {
		bad("limits.rate is %g: declare the platform's documented calls per second", d.Limits.Rate)
	}
	if d.Limits.Burst < 1 {
		bad("limits.burst is %d: declare at least 1", d.Limits.Burst)
	}
	for _, op := range sdk.Operations {
		if !d.Has(op.Capability()) || op == sdk.OpResolveURLs && !resolvesURLs {
			continue
		}
		ol := d.Limits.Operations[op]
		if ol.MaxBatch <= 0 {
			bad("limits.operations[%s] declares no max batch; the host needs it to size its batches", op)
		}
		if ol.Cost < 0 {
			bad("limits.operations[%s].cost is negative (%g)", op, ol.Cost)
		}
	}
	if err := d.Config.Validate(); err != nil {
		bad("config spec: %v", err)
	}
	for _, f := range d.Config {
		if f.Description == "" {
			bad("config field %q has no description", f.Name)
		}
	}
	return out
}

// CheckConfigSchema checks that the plugin enforces its config spec: the
// valid config is accepted, and a config with an unknown field, without a
// required field, or with a value of the wrong type is refused as INVALID.
// The broken configs are made from the spec.
func CheckConfigSchema() Check {
	return Check{Name: "config_schema", run: func(h *harness) {
		p := h.start()
		valid := h.target.config()
		if err := p.Configure(h.ctx, []byte(valid)); err != nil {
			h.t.Fatalf("the valid config %s was refused: %v", valid, err)
		}
		values, _ := configValues(valid)
		cases := []struct{ what, cfg string }{
			{"an unknown field", withField(values, "plugintest_unknown_field", "x")},
		}
		for _, f := range p.Description().Config {
			if f.Required {
				cases = append(cases, struct{ what, cfg string }{
					fmt.Sprintf("the required field %q missing", f.Name), withField(values, f.Name, nil)})
			}
			cases = append(cases, struct{ what, cfg string }{
				fmt.Sprintf("a %s field %q of the wrong type", f.Type, f.Name), withField(values, f.Name, wrongValue(f.Type))})
		}
		for _, c := range cases {
			err := p.Configure(h.ctx, []byte(c.cfg))
			if !isKind(err, sdk.KindInvalid) {
				h.t.Errorf("a config with %s must be refused as INVALID; Configure(%s) returned %s", c.what, c.cfg, describeErr(err))
			}
		}
		if err := p.Configure(h.ctx, []byte(valid)); err != nil {
			h.t.Errorf("after refusing bad configs, the valid config was refused: %v", err)
		}
	}}
}

// CheckBadConfigs checks that each of Target.BadConfigs is refused as
// INVALID, and, with Target.Requests, that configuring made no request to
// the platform: Configure checks a config, it does not try it.
func CheckBadConfigs() Check {
	return Check{Name: "bad_configs", run: func(h *harness) {
		h.need(len(h.target.BadConfigs) > 0, "BadConfigs")
		p := h.start()
		before := h.requests()
		for _, name := range slices.Sorted(maps.Keys(h.target.BadConfigs)) {
			cfg := h.target.BadConfigs[name]
			if err := p.Configure(h.ctx, []byte(cfg)); !isKind(err, sdk.KindInvalid) {
				h.t.Errorf("%s: the config must be refused as INVALID; Configure(%s) returned %s", name, cfg, describeErr(err))
			}
		}
		if err := p.Configure(h.ctx, []byte(h.target.config())); err != nil {
			h.t.Errorf("after refusing bad configs, the valid config was refused: %v", err)
		}
		if n := h.requests() - before; n != 0 {
			h.t.Errorf("configuring made %d requests to the platform; Configure must not call it", n)
		}
	}}
}

// CheckDeclared checks that Describe says what Target.Declared documents:
// the name, the capabilities, the rate, batch caps, the sensitive fields
// and config fields with their types and defaults.
func CheckDeclared() Check {
	return Check{Name: "declared", run: func(h *harness) {
		h.need(h.target.Declared != nil, "Declared")
		for _, problem := range declaredProblems(h.start().Description(), h.target.Declared) {
			h.t.Errorf("Describe does not say what the plugin documents: %s", problem)
		}
	}}
}

func declaredProblems(d sdk.Description, want *Declared) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if want.Name != "" && d.Name != want.Name {
		bad("name %q, want %q", d.Name, want.Name)
	}
	if want.Capabilities != nil {
		got, exp := slices.Clone(d.Capabilities), slices.Clone(want.Capabilities)
		slices.Sort(got)
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			bad("capabilities %v, want %v", d.Capabilities, want.Capabilities)
		}
	}
	if want.Rate > 0 && d.Limits.Rate != want.Rate {
		bad("limits.rate %g, want %g", d.Limits.Rate, want.Rate)
	}
	for _, op := range slices.Sorted(maps.Keys(want.MaxBatch)) {
		if got := d.Limits.MaxBatch(op, 0); got != want.MaxBatch[op] {
			bad("limits.operations[%s] max batch %d, want %d", op, got, want.MaxBatch[op])
		}
	}
	if want.Sensitive != nil && !slices.Equal(d.Config.Sensitive(), want.Sensitive) {
		bad("sensitive config fields %q, want %q", d.Config.Sensitive(), want.Sensitive)
	}
	for _, w := range want.Fields {
		f, ok := d.Config.Field(w.Name)
		switch {
		case !ok:
			bad("no config field %q", w.Name)
		case w.Type != 0 && f.Type != w.Type:
			bad("config field %q is a %s, want a %s", w.Name, f.Type, w.Type)
		case w.Default != nil && fmt.Sprint(f.Default) != fmt.Sprint(w.Default):
			bad("config field %q defaults to %v, want %v", w.Name, f.Default, w.Default)
		}
	}
	return out
}

// wrongValue is a JSON value that no field of type t accepts.
func wrongValue(t sdk.FieldType) any {
	switch t {
	case sdk.FieldString:
		return 12345
	case sdk.FieldInt, sdk.FieldFloat, sdk.FieldStringList:
		return "not-a-" + t.String()
	default: // bool, duration
		return []string{"not", "a", t.String()}
	}
}

// isKind reports whether err is a typed error of kind k.
func isKind(err error, k sdk.ErrorKind) bool { return isError(err, k, "") }

// isError reports whether err is a typed error of kind k with code (any
// code when code is empty).
func isError(err error, k sdk.ErrorKind, code string) bool {
	e, ok := host.AsError(err)
	return ok && e.Kind == k && (code == "" || e.Code == code)
}

// kindCode renders a kind and, when set, a code: "AUTH 401".
func kindCode(k sdk.ErrorKind, code string) string {
	if code == "" {
		return k.String()
	}
	return k.String() + " " + code
}

// describeErr renders an error for a failure message, "no error" for nil.
func describeErr(err error) string {
	switch {
	case err == nil:
		return "no error"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "no answer before the check's deadline (" + err.Error() + ")"
	}
	if e, ok := host.AsError(err); ok {
		return e.Error()
	}
	return fmt.Sprintf("an untyped error (%v)", err)
}
