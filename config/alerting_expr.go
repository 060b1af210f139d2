package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// An alert's expr is an HCL expression over a fixed set of functions, each
// giving one number per subject (a platform, a job, a cache type ...):
//
//	error_rate("taobao.*", "5m") > 0.05
//	platform_state(".*", "unauthorized") || breaker_open("shop.*")
//	job_paused_for(".*") > "30m"
//
// A comparison keeps the subjects whose value passes; && keeps the subjects
// on both sides, || those on either (matched by their labels). A function
// alone means "> 0". Every subject that passes is one alert, labelled with
// the function's labels. The expression is parsed with HCL's own parser, so
// every mistake is reported at its file, line and column; it may be written
// bare or as a string.

// AlertExpr is a parsed expr: a comparison of a function's values with a
// threshold, or two expressions joined by && or ||.
type AlertExpr struct {
	// Op is ">", ">=", "<", "<=", "==", "!=", "&&" or "||".
	Op string
	// Call and Threshold for a comparison.
	Call      *AlertCall
	Threshold float64
	// Left and Right for && and ||.
	Left, Right *AlertExpr
	Range       hcl.Range
}

// AlertCall is one call of an alert function, its arguments checked and
// converted, defaults filled in.
type AlertCall struct {
	Func  string
	Args  map[string]AlertArg
	Range hcl.Range
}

// AlertArg is one argument: a regular expression (anchored), a duration, a
// number or a word from a fixed list.
type AlertArg struct {
	Text     string
	Regexp   *regexp.Regexp
	Duration time.Duration
	Number   float64
}

// String writes the expression back in its canonical form.
func (e *AlertExpr) String() string {
	if e.Call == nil {
		return fmt.Sprintf("(%s %s %s)", e.Left, e.Op, e.Right)
	}
	return fmt.Sprintf("%s %s %g", e.Call, e.Op, e.Threshold)
}

func (c *AlertCall) String() string {
	spec := AlertFunctions[c.Func]
	var args []string
	for _, p := range spec.Params {
		args = append(args, fmt.Sprintf("%q", c.Args[p.Name].Text))
	}
	return c.Func + "(" + strings.Join(args, ", ") + ")"
}

// Labels are the labels the expression's alerts carry.
func (e *AlertExpr) Labels() []string {
	if e.Call != nil {
		return AlertFunctions[e.Call.Func].Labels
	}
	out := append(slices.Clone(e.Left.Labels()), e.Right.Labels()...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Calls lists every function call in the expression.
func (e *AlertExpr) Calls() []*AlertCall {
	if e.Call != nil {
		return []*AlertCall{e.Call}
	}
	return append(e.Left.Calls(), e.Right.Calls()...)
}

// Param kinds.
const (
	ParamRegexp   = "regexp"
	ParamDuration = "duration"
	ParamNumber   = "number"
	ParamWord     = "word"
)

// AlertParam is one parameter of an alert function.
type AlertParam struct {
	Name, Kind string
	Default    string   // "" when required
	Words      []string // for ParamWord
}

// AlertFunction describes one function alert expressions may call.
type AlertFunction struct {
	Params []AlertParam
	// Labels are the labels of the subjects it yields.
	Labels []string
	// Unit says what the value is: "ratio" (0 to 1), "seconds" or "count".
	// A threshold of a seconds function may be a duration string.
	Unit string
	Doc  string
}

var platformParam = AlertParam{Name: "platform", Kind: ParamRegexp, Default: ".*"}

func windowParam(def string) AlertParam {
	return AlertParam{Name: "window", Kind: ParamDuration, Default: def}
}

// AlertFunctions are the functions alert expressions may call. Providers
// in daemon/alerting answer them; one whose provider is not running (the
// cluster's, before there is a cluster) yields nothing.
var AlertFunctions = map[string]AlertFunction{
	"error_rate": {Params: []AlertParam{platformParam, windowParam("5m")}, Labels: []string{"platform"}, Unit: "ratio",
		Doc: "share of the platform's plugin calls that failed over the window"},
	"latency_quantile": {Params: []AlertParam{platformParam, {Name: "quantile", Kind: ParamWord, Default: "0.95", Words: []string{"0.5", "0.95", "0.99"}}, windowParam("5m")},
		Labels: []string{"platform"}, Unit: "seconds", Doc: "latency quantile of the platform's calls over the window"},
	"rate_limited_share": {Params: []AlertParam{platformParam, windowParam("5m")}, Labels: []string{"platform"}, Unit: "ratio",
		Doc: "share of the platform's calls refused for its rate limit over the window"},
	"calls": {Params: []AlertParam{platformParam, windowParam("5m")}, Labels: []string{"platform"}, Unit: "count",
		Doc: "the platform's plugin calls over the window"},
	"breaker_open": {Params: []AlertParam{platformParam}, Labels: []string{"platform"}, Unit: "count",
		Doc: "1 while the platform's circuit breaker is open"},
	"platform_state": {Params: []AlertParam{platformParam, {Name: "state", Kind: ParamWord, Words: []string{"unauthorized", "failed", "restarting"}}},
		Labels: []string{"platform"}, Unit: "count", Doc: "1 while the platform is in the state"},
	"plugin_restarts": {Params: []AlertParam{platformParam, windowParam("15m")}, Labels: []string{"platform"}, Unit: "count",
		Doc: "plugin restarts over the window"},
	"jobs_failed": {Params: []AlertParam{platformParam, windowParam("15m")}, Labels: []string{"platform"}, Unit: "count",
		Doc: "jobs of the platform that failed within the window"},
	"job_paused_for": {Params: []AlertParam{platformParam}, Labels: []string{"job", "platform"}, Unit: "seconds",
		Doc: "how long each paused job has been paused"},
	"backlog": {Params: []AlertParam{platformParam}, Labels: []string{"platform"}, Unit: "count",
		Doc: "items still pending in the platform's queued and running jobs, plus calls queued at its actor"},
	"cache_hit_rate": {Params: []AlertParam{{Name: "type", Kind: ParamRegexp, Default: ".*"}, {Name: "min_requests", Kind: ParamNumber, Default: "100"}},
		Labels: []string{"cache_type"}, Unit: "ratio", Doc: "hit rate of each cache type with at least min_requests reads since the statistics were reset"},
	"conflicts_pending": {Params: []AlertParam{{Name: "sync", Kind: ParamRegexp, Default: ".*"}}, Labels: []string{"sync"}, Unit: "count",
		Doc: "sync conflicts waiting for a decision, per sync pipeline"},
	"cluster_member_down": {Params: []AlertParam{{Name: "member", Kind: ParamRegexp, Default: ".*"}}, Labels: []string{"member"}, Unit: "count",
		Doc: "1 for each cluster member that memberlist reports dead"},
	"notifier_failing": {Params: []AlertParam{{Name: "receiver", Kind: ParamRegexp, Default: ".*"}}, Labels: []string{"receiver"}, Unit: "count",
		Doc: "notifications to the receiver that failed in a row, retries spent"},
}

var compareOps = map[*hclsyntax.Operation]string{
	hclsyntax.OpGreaterThan: ">", hclsyntax.OpGreaterThanOrEqual: ">=", hclsyntax.OpLessThan: "<",
	hclsyntax.OpLessThanOrEqual: "<=", hclsyntax.OpEqual: "==", hclsyntax.OpNotEqual: "!=",
	hclsyntax.OpLogicalAnd: "&&", hclsyntax.OpLogicalOr: "||",
}

// ParseAlertExpr reads an expr attribute's expression, bare or in a string.
func ParseAlertExpr(expr hcl.Expression) (*AlertExpr, hcl.Diagnostics) {
	if t, ok := expr.(*hclsyntax.TemplateExpr); ok && t.IsStringLiteral() {
		lit := t.Parts[0].(*hclsyntax.LiteralValueExpr)
		src := lit.Val.AsString()
		inner, diags := hclsyntax.ParseExpression([]byte(src), lit.SrcRange.Filename, lit.SrcRange.Start)
		if diags.HasErrors() {
			return nil, diags
		}
		expr = inner
	}
	return compileExpr(expr)
}

func exprError(summary string, r hcl.Range, format string, args ...any) hcl.Diagnostics {
	return hcl.Diagnostics{diagnostic(summary, r.Ptr(), format, args...)}
}

func compileExpr(expr hcl.Expression) (*AlertExpr, hcl.Diagnostics) {
	switch e := expr.(type) {
	case *hclsyntax.ParenthesesExpr:
		return compileExpr(e.Expression)
	case *hclsyntax.FunctionCallExpr:
		call, diags := compileCall(e)
		if diags.HasErrors() {
			return nil, diags
		}
		return &AlertExpr{Op: ">", Call: call, Range: e.Range()}, nil
	case *hclsyntax.BinaryOpExpr:
		op, ok := compareOps[e.Op]
		if !ok {
			return nil, exprError("Invalid alert expression", e.Range(), "Use comparisons (> >= < <= == !=) and && or ||; arithmetic is not supported.")
		}
		if op == "&&" || op == "||" {
			l, ld := compileExpr(e.LHS)
			r, rd := compileExpr(e.RHS)
			if diags := append(ld, rd...); diags.HasErrors() {
				return nil, diags
			}
			if !slices.Equal(l.Labels(), r.Labels()) {
				return nil, exprError("Invalid alert expression", e.Range(),
					"Both sides of %s must give alerts with the same labels, to pair them: the left gives %v, the right %v.", op, l.Labels(), r.Labels())
			}
			return &AlertExpr{Op: op, Left: l, Right: r, Range: e.Range()}, nil
		}
		lhs := unwrap(e.LHS)
		call, ok := lhs.(*hclsyntax.FunctionCallExpr)
		if !ok {
			return nil, exprError("Invalid alert expression", e.LHS.Range(), "The left side of %s must be a function call, such as error_rate(\"taobao.*\", \"5m\").", op)
		}
		c, diags := compileCall(call)
		if diags.HasErrors() {
			return nil, diags
		}
		th, diags := threshold(e.RHS, AlertFunctions[c.Func].Unit)
		if diags.HasErrors() {
			return nil, diags
		}
		return &AlertExpr{Op: op, Call: c, Threshold: th, Range: e.Range()}, nil
	default:
		return nil, exprError("Invalid alert expression", expr.Range(),
			"An alert expression is a function call compared with a number, such as error_rate(\"taobao.*\", \"5m\") > 0.05, or several joined by && or ||.")
	}
}

func unwrap(e hclsyntax.Expression) hclsyntax.Expression {
	for {
		p, ok := e.(*hclsyntax.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expression
	}
}

// literal evaluates a constant expression: no variables, no functions.
func literal(expr hcl.Expression) (cty.Value, hcl.Diagnostics) {
	if len(expr.Variables()) > 0 {
		return cty.NilVal, exprError("Invalid alert expression", expr.Range(), "Only numbers and strings may be written here, not variables.")
	}
	if _, ok := unwrap(expr.(hclsyntax.Expression)).(*hclsyntax.FunctionCallExpr); ok {
		return cty.NilVal, exprError("Invalid alert expression", expr.Range(), "Compare a function with a number, not with another function.")
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, append(diags, exprError("Invalid alert expression", expr.Range(), "A number or a string is needed here.")...)
	}
	return v, nil
}

func threshold(expr hcl.Expression, unit string) (float64, hcl.Diagnostics) {
	v, diags := literal(expr)
	if diags.HasErrors() {
		return 0, diags
	}
	switch {
	case v.Type() == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f, nil
	case v.Type() == cty.String && unit == "seconds":
		d, err := time.ParseDuration(v.AsString())
		if err != nil {
			return 0, exprError("Invalid duration", expr.Range(), "%q is not a duration, such as \"30m\".", v.AsString())
		}
		return d.Seconds(), nil
	}
	return 0, exprError("Invalid threshold", expr.Range(), "The threshold must be a number (a duration string only for a function that gives seconds).")
}

func compileCall(e *hclsyntax.FunctionCallExpr) (*AlertCall, hcl.Diagnostics) {
	spec, ok := AlertFunctions[e.Name]
	if !ok {
		names := make([]string, 0, len(AlertFunctions))
		for n := range AlertFunctions {
			names = append(names, n)
		}
		slices.Sort(names)
		detail := fmt.Sprintf("%q is not an alert function. The functions are: %s.", e.Name, strings.Join(names, ", "))
		if s := suggest(e.Name, names); s != "" {
			detail = fmt.Sprintf("%q is not an alert function. Did you mean %q?", e.Name, s)
		}
		return nil, exprError("Unknown alert function", e.NameRange, "%s", detail)
	}
	required := 0
	for _, p := range spec.Params {
		if p.Default == "" {
			required++
		}
	}
	if len(e.Args) < required || len(e.Args) > len(spec.Params) {
		var names []string
		for _, p := range spec.Params {
			n := p.Name
			if p.Default != "" {
				n += " = " + fmt.Sprintf("%q", p.Default)
			}
			names = append(names, n)
		}
		return nil, exprError("Wrong number of arguments", e.Range(), "%s takes (%s), not %d arguments.", e.Name, strings.Join(names, ", "), len(e.Args))
	}
	call := &AlertCall{Func: e.Name, Args: map[string]AlertArg{}, Range: e.Range()}
	var diags hcl.Diagnostics
	for i, p := range spec.Params {
		text, where := p.Default, e.Range()
		if i < len(e.Args) {
			where = e.Args[i].Range()
			v, d := literal(e.Args[i])
			if d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			if v.Type() == cty.Number {
				text = v.AsBigFloat().Text('g', -1)
			} else if v.Type() == cty.String {
				text = v.AsString()
			}
		}
		arg, err := convertArg(p, text)
		if err != nil {
			diags = append(diags, diagnostic("Invalid argument", where.Ptr(), "%s: argument %s: %s.", e.Name, p.Name, err))
			continue
		}
		call.Args[p.Name] = arg
	}
	return call, diags
}

func convertArg(p AlertParam, text string) (AlertArg, error) {
	arg := AlertArg{Text: text}
	var err error
	switch p.Kind {
	case ParamRegexp:
		arg.Regexp, err = regexp.Compile("^(?:" + text + ")$")
	case ParamDuration:
		arg.Duration, err = time.ParseDuration(text)
		if err == nil && (arg.Duration < time.Minute || arg.Duration%time.Minute != 0) {
			err = fmt.Errorf("%q is not whole minutes of at least 1m: statistics are kept per minute", text)
		}
	case ParamNumber:
		_, err = fmt.Sscan(text, &arg.Number)
	case ParamWord:
		if !slices.Contains(p.Words, text) {
			err = fmt.Errorf("%q is not one of %s", text, strings.Join(p.Words, ", "))
		}
		_, _ = fmt.Sscan(text, &arg.Number)
	}
	return arg, err
}
