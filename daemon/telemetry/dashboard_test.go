package telemetry

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDashboardQueriesExposedSeries keeps the example Grafana dashboard
// true to the metrics: every marketsync_ family its queries name is one
// this package exposes (histograms by their _bucket series).
func TestDashboardQueriesExposedSeries(t *testing.T) {
	raw, err := os.ReadFile("../../examples/grafana/marketsync.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	exposed := scrape(t, exercised())
	names := regexp.MustCompile(`\bmarketsync_[a-z_]+`)
	checked := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range names.FindAllString(tg.Expr, -1) {
				checked++
				if !strings.Contains(exposed, "\n"+name+"{") && !strings.Contains(exposed, "\n"+name+" ") {
					t.Errorf("panel %q queries %s, which the agent does not expose", p.Title, name)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d metric names found in the dashboard", checked)
	}
}
