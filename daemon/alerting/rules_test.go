package alerting

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/config"
)

// TestStateMachine drives one rule through evaluations 30 s apart; holds
// says whether the condition held at each, want the alert's state after it
// ("" for no alert).
func TestStateMachine(t *testing.T) {
	for _, tc := range []struct {
		name          string
		forDur, keep  time.Duration
		holds         []bool
		want          []string
		wantFiredStep int // evaluation at which it went firing, -1 never
	}{
		{"for 0 fires at once", 0, 0, []bool{true, true, false}, []string{"firing", "firing", "resolved"}, 0},
		{"for 1m pends two evaluations", time.Minute, 0, []bool{true, true, true, true}, []string{"pending", "pending", "firing", "firing"}, 2},
		{"pending drops when it stops holding", time.Minute, 0, []bool{true, false, true}, []string{"pending", "", "pending"}, -1},
		{"keep_firing_for bridges a gap", 0, time.Minute, []bool{true, false, false, true, false, false, false}, []string{"firing", "firing", "firing", "firing", "firing", "firing", "resolved"}, 0},
		{"resolved then again is a new incident", 0, 0, []bool{true, false, true}, []string{"firing", "resolved", "firing"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rule := config.AlertRule{Name: "r", Severity: "warning", For: tc.forDur, KeepFiringFor: tc.keep}
				alerts := map[string]*Alert{}
				sample := []Sample{{Labels: map[string]string{"platform": "taobao"}, Value: 0.5}}
				start := time.Now()
				var got []string
				fired := -1
				var firstActive time.Time
				for i, h := range tc.holds {
					var s []Sample
					if h {
						s = sample
					}
					for _, tr := range step(rule, alerts, s, time.Now()) {
						if tr.To == StateFiring {
							fired = i
						}
					}
					state := ""
					for _, a := range alerts {
						state = a.State
						if i == 0 {
							firstActive = a.ActiveAt
						}
					}
					got = append(got, state)
					advance(30 * time.Second)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("states %q, want %q", got, tc.want)
				}
				if fired != tc.wantFiredStep {
					t.Errorf("fired at evaluation %d, want %d", fired, tc.wantFiredStep)
				}
				if !firstActive.Equal(start) {
					t.Errorf("active since %v, want %v", firstActive, start)
				}
			})
		})
	}
}

func TestResolvedAlertIsForgotten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rule := config.AlertRule{Name: "r", Severity: "info"}
		alerts := map[string]*Alert{}
		step(rule, alerts, []Sample{{Labels: map[string]string{"platform": "x"}, Value: 1}}, time.Now())
		step(rule, alerts, nil, time.Now())
		advance(resolvedKept - time.Second)
		step(rule, alerts, nil, time.Now())
		if len(alerts) != 1 {
			t.Fatalf("resolved alert dropped before %s", resolvedKept)
		}
		advance(time.Second)
		step(rule, alerts, nil, time.Now())
		if len(alerts) != 0 {
			t.Fatalf("resolved alert kept past %s", resolvedKept)
		}
	})
}

// advance moves the bubble's clock on by d and lets every goroutine the
// passing time woke settle; nothing waits in real time.
func advance(d time.Duration) {
	<-time.After(d)
	synctest.Wait()
}
