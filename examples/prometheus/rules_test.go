package prometheus_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// families are the metric families the agent serves, read from the code
// that names them, so that a renamed series fails this test.
func families(t *testing.T) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob("../../daemon/telemetry/*.go")
	files = append(files, "../../daemon/alerting/metrics.go")
	name := regexp.MustCompile(`"(marketsync_[a-z_]+)"`)
	out := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d metric families in the agent's code: %v", len(out), out)
	}
	return out
}

// TestRulesLoad loads alerts.yml with Prometheus's rule parser, which
// checks the file's shape, every PromQL expression and every template;
// then checks that every series named exists in the agent and that every
// built-in alert rule has its counterpart, or is named as having none.
func TestRulesLoad(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	groups, errs := rulefmt.ParseFile("alerts.yml", false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatalf("alerts.yml: %v", errs)
	}
	known := families(t)
	var names []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Fatalf("%s: %v", r.Alert, err)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok {
					family := vs.Name
					if strings.HasSuffix(family, "_bucket") && known[strings.TrimSuffix(family, "_bucket")] {
						return nil
					}
					if !known[family] {
						t.Errorf("%s: the agent serves no series %s", r.Alert, family)
					}
				}
				return nil
			})
		}
	}
	src, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	none := regexp.MustCompile(`without a counterpart here[^:]*:\s*#?\s*([a-z-, ]+)`).FindSubmatch(src)
	defaults, err := os.ReadFile("../../config/alerting_defaults.hcl")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^alert "([^"]+)"`).FindAllSubmatch(defaults, -1) {
		rule := string(m[1])
		if !slices.Contains(names, rule) && (none == nil || !strings.Contains(string(none[1]), rule)) {
			t.Errorf("built-in rule %s has no Prometheus counterpart and is not named as lacking one", rule)
		}
	}
}
