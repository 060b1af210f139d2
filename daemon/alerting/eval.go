package alerting

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/marketsync/marketsync/config"
)

// Sample is one subject's value of an alert function: a platform's error
// rate, a job's paused time. Labels name the subject.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Provider answers some of the functions of config.AlertFunctions. The
// agent plugs in one for its statistics, platforms, jobs and cache, one
// over the sync engine's conflicts (conflicts_pending) and, on a cluster
// node, one over the gossip membership (cluster_member_down). A function
// nobody provides yields no samples.
type Provider interface {
	// Functions lists the function names the provider answers.
	Functions() []string
	// Eval returns the samples of one call, already filtered by the call's
	// regexp arguments.
	Eval(ctx context.Context, call *config.AlertCall) ([]Sample, error)
}

// evaluator answers calls from the providers registered for each name.
type evaluator struct {
	byFunc map[string]Provider
}

func newEvaluator(providers []Provider) *evaluator {
	e := &evaluator{byFunc: map[string]Provider{}}
	for _, p := range providers {
		for _, f := range p.Functions() {
			e.byFunc[f] = p
		}
	}
	return e
}

// eval returns the samples that satisfy expr.
func (e *evaluator) eval(ctx context.Context, expr *config.AlertExpr) ([]Sample, error) {
	if expr.Call != nil {
		p, ok := e.byFunc[expr.Call.Func]
		if !ok {
			return nil, nil
		}
		all, err := p.Eval(ctx, expr.Call)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", expr.Call.Func, err)
		}
		var out []Sample
		for _, s := range all {
			if compare(s.Value, expr.Op, expr.Threshold) {
				out = append(out, s)
			}
		}
		return out, nil
	}
	l, err := e.eval(ctx, expr.Left)
	if err != nil {
		return nil, err
	}
	r, err := e.eval(ctx, expr.Right)
	if err != nil {
		return nil, err
	}
	right := map[string]Sample{}
	for _, s := range r {
		right[labelKey(s.Labels)] = s
	}
	var out []Sample
	seen := map[string]bool{}
	for _, s := range l {
		k := labelKey(s.Labels)
		_, both := right[k]
		if expr.Op == "||" || both {
			out = append(out, s) // the left side's value is the alert's
			seen[k] = true
		}
	}
	if expr.Op == "||" {
		for _, s := range r {
			if !seen[labelKey(s.Labels)] {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

func compare(v float64, op string, th float64) bool {
	switch op {
	case ">":
		return v > th
	case ">=":
		return v >= th
	case "<":
		return v < th
	case "<=":
		return v <= th
	case "==":
		return v == th
	default:
		return v != th
	}
}

// labelKey is a canonical text of a label set.
func labelKey(labels map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(&b, "%s=%q,", k, labels[k])
	}
	return b.String()
}
