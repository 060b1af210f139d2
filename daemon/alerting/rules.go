package alerting

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"time"

	"github.com/marketsync/marketsync/config"
)

// The states of an alert. Inactive alerts are not kept.
const (
	StatePending  = "pending"
	StateFiring   = "firing"
	StateResolved = "resolved"
)

// Alert is one alert: a rule's condition holding for one subject.
type Alert struct {
	Fingerprint string            `json:"fingerprint"`
	Rule        string            `json:"rule"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	State       string            `json:"state"`
	Value       float64           `json:"value"`
	// ActiveAt is when the condition started to hold, FiredAt when the
	// alert went firing (ActiveAt + for), LastTrueAt the last evaluation
	// that found the condition holding, ResolvedAt when it resolved.
	ActiveAt   time.Time `json:"active_at"`
	FiredAt    time.Time `json:"fired_at,omitzero"`
	LastTrueAt time.Time `json:"last_true_at"`
	// KeepFiringSince is the first evaluation that found a firing
	// alert's condition not holding; it resolves keep_firing_for later.
	KeepFiringSince time.Time `json:"keep_firing_since,omitzero"`
	ResolvedAt      time.Time `json:"resolved_at,omitzero"`
}

// Transition is a change of an alert's state, for the history.
type Transition struct {
	At          time.Time         `json:"at"`
	Fingerprint string            `json:"fingerprint"`
	Rule        string            `json:"rule"`
	Labels      map[string]string `json:"labels"`
	From        string            `json:"from,omitempty"`
	To          string            `json:"to"`
	Value       float64           `json:"value"`
}

// resolvedKept is how long a resolved alert stays known, so that its
// resolved notification can go out and the API can show it.
const resolvedKept = 15 * time.Minute

// alertLabels are a sample's labels with the rule's and the alert's name
// and severity.
func alertLabels(r config.AlertRule, s Sample) map[string]string {
	l := map[string]string{}
	maps.Copy(l, r.Labels)
	maps.Copy(l, s.Labels)
	l["alertname"] = r.Name
	l["severity"] = r.Severity
	return l
}

// fingerprint identifies an alert by its labels.
func fingerprint(labels map[string]string) string {
	sum := sha256.Sum256([]byte(labelKey(labels)))
	return hex.EncodeToString(sum[:8])
}

// step applies one evaluation of rule r at now, the samples that satisfy
// its expression, to alerts (the rule's alerts by fingerprint), and
// returns the transitions. It is the whole state machine:
//
//	inactive → pending   the condition holds (firing at once when for = 0)
//	pending  → firing    it held for `for`
//	pending  → inactive  it stopped holding first (the alert is dropped)
//	firing   → resolved  it has not held since keep_firing_for ago
//	resolved → pending   it holds again (a new incident)
//	resolved → inactive  resolvedKept later
func step(r config.AlertRule, alerts map[string]*Alert, samples []Sample, now time.Time) []Transition {
	var out []Transition
	move := func(a *Alert, to string) {
		out = append(out, Transition{At: now, Fingerprint: a.Fingerprint, Rule: a.Rule, Labels: a.Labels, From: a.State, To: to, Value: a.Value})
		a.State = to
	}
	seen := map[string]bool{}
	for _, s := range samples {
		labels := alertLabels(r, s)
		fp := fingerprint(labels)
		seen[fp] = true
		a := alerts[fp]
		if a == nil || a.State == StateResolved {
			a = &Alert{Fingerprint: fp, Rule: r.Name, Labels: labels, Annotations: r.Annotations, ActiveAt: now}
			alerts[fp] = a
		}
		a.Value, a.LastTrueAt, a.Annotations, a.KeepFiringSince = s.Value, now, r.Annotations, time.Time{}
		if a.State == "" {
			out = append(out, Transition{At: now, Fingerprint: fp, Rule: r.Name, Labels: labels, To: StatePending, Value: s.Value})
			a.State = StatePending
		}
		if a.State == StatePending && now.Sub(a.ActiveAt) >= r.For {
			a.FiredAt = now
			move(a, StateFiring)
		}
	}
	for fp, a := range alerts {
		if seen[fp] {
			continue
		}
		switch a.State {
		case StatePending:
			move(a, "inactive")
			delete(alerts, fp)
		case StateFiring:
			if a.KeepFiringSince.IsZero() {
				a.KeepFiringSince = now
			}
			if now.Sub(a.KeepFiringSince) >= r.KeepFiringFor {
				a.ResolvedAt = now
				move(a, StateResolved)
			}
		case StateResolved:
			if now.Sub(a.ResolvedAt) >= resolvedKept {
				delete(alerts, fp)
			}
		}
	}
	return out
}
