package alerting

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
)

// counters are the alerting counters, by series.
type counters struct {
	mu sync.Mutex
	n  map[[3]string]float64 // family, first label value, second
}

const (
	familyAlerts        = "marketsync_alerts"
	familyNotifications = "marketsync_alert_notifications_total"
	familyEvalFailures  = "marketsync_alert_rule_evaluation_failures_total"
	familyEvaluations   = "marketsync_alert_evaluations_total"
	familyInFlight      = "marketsync_alert_notifications_in_flight"
)

func (c *counters) add(family, a, b string, v float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[[3]string]float64{}
	}
	c.n[[3]string{family, a, b}] += v
}

func (m *Manager) count(receiver, outcome string) {
	m.counters.add(familyNotifications, receiver, outcome, 1)
}

// WriteMetrics writes the alerting series in the Prometheus text format,
// each family with HELP and TYPE: alerts by state, notifications by
// receiver and outcome (sent, failed, retried, merged), failed rule
// evaluations by rule, rounds of evaluation, and the messages handed to
// the receivers' senders and not yet sent or given up.
func (m *Manager) WriteMetrics(w io.Writer) {
	states := map[string]int{StatePending: 0, StateFiring: 0, StateResolved: 0}
	m.mu.Lock()
	for _, rs := range m.rules {
		for _, a := range rs.alerts {
			states[a.State]++
		}
	}
	m.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s Alerts by state: pending (waiting out for), firing, resolved (kept 15 minutes).\n# TYPE %s gauge\n", familyAlerts, familyAlerts)
	for _, s := range slices.Sorted(maps.Keys(states)) {
		fmt.Fprintf(w, "%s{state=%q} %d\n", familyAlerts, s, states[s])
	}
	m.counters.mu.Lock()
	defer m.counters.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s Notifications by receiver and outcome: sent, failed (retries spent), retried (attempts that failed and were retried), merged (messages folded into one to keep a robot's rate limit).\n# TYPE %s counter\n", familyNotifications, familyNotifications)
	for _, name := range slices.Sorted(maps.Keys(m.receivers)) {
		for _, o := range []string{"failed", "merged", "retried", "sent"} {
			fmt.Fprintf(w, "%s{outcome=%q,receiver=%q} %g\n", familyNotifications, o, name, m.counters.n[[3]string{familyNotifications, name, o}])
		}
	}
	fmt.Fprintf(w, "# HELP %s Rule evaluations that failed to read their inputs, by rule.\n# TYPE %s counter\n", familyEvalFailures, familyEvalFailures)
	for _, rs := range m.rules {
		fmt.Fprintf(w, "%s{rule=%q} %g\n", familyEvalFailures, rs.rule.Name, m.counters.n[[3]string{familyEvalFailures, rs.rule.Name, ""}])
	}
	fmt.Fprintf(w, "# HELP %s Rounds in which every rule was evaluated.\n# TYPE %s counter\n%s %g\n", familyEvaluations, familyEvaluations, familyEvaluations, m.counters.n[[3]string{familyEvaluations, "", ""}])
	fmt.Fprintf(w, "# HELP %s Messages handed to a receiver and not yet sent or given up, retries included.\n# TYPE %s gauge\n%s %d\n", familyInFlight, familyInFlight, familyInFlight, m.inFlight.Load())
}
