package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
)

// agentAlerting is the running alert manager and how to stop it.
type agentAlerting struct {
	m      *alerting.Manager
	cancel context.CancelFunc
	done   chan struct{}
}

// setupAlerting starts the alert manager over the agent's statistics,
// platforms, jobs and cache. Conflicts and cluster membership plug in
// their own alerting.Provider when they exist.
func (a *Agent) setupAlerting(context.Context) error {
	scheme := "http"
	if a.cfg.API.TLS.Enabled() {
		scheme = "https"
	}
	node, _ := os.Hostname()
	inputs := &alerting.AgentInputs{
		State: guarded{a},
		Stats: statsFrom(a.stats, nil),
	}
	if a.cache != nil {
		inputs.Cache = a.cache
	}
	m, err := alerting.New(alerting.Options{
		Config: a.cfg.Alerting, Store: a.db, Providers: append([]alerting.Provider{inputs}, a.syncProviders()...),
		ExternalURL: scheme + "://" + a.cfg.API.Address, Node: node, Logger: a.log,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	al := &agentAlerting{m: m, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(al.done)
		m.Run(ctx)
	}()
	a.alerting = al
	return nil
}

// stopAlerting stops evaluating and sending, before the store closes.
func (a *Agent) stopAlerting() {
	if a.alerting != nil {
		a.alerting.cancel()
		<-a.alerting.done
	}
}

// alertSource serves the alerting routes, or nothing before alerting is
// set up.
func (a *Agent) alertSource() api.AlertSource {
	if a.alerting == nil {
		return nil
	}
	return a.alerting
}

// metricsHandler serves the agent's metrics and the alerting series.
func (a *Agent) metricsHandler() http.Handler {
	h := a.metrics.Handler()
	if a.alerting == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		a.alerting.m.WriteMetrics(w)
	})
}

// Alerts implements api.AlertSource.
func (al *agentAlerting) Alerts(context.Context) (*client.Alerts, error) {
	out := &client.Alerts{}
	for _, s := range al.m.Alerts() {
		out.Alerts = append(out.Alerts, client.Alert{
			Fingerprint: s.Fingerprint, Rule: s.Rule, State: s.State, Labels: s.Labels, Annotations: s.Annotations,
			Value: s.Value, ActiveAt: s.ActiveAt, FiredAt: s.FiredAt, ResolvedAt: s.ResolvedAt,
			SilencedBy: s.SilencedBy, Inhibited: s.Inhibited,
		})
	}
	for _, r := range al.m.Receivers() {
		out.Receivers = append(out.Receivers, client.Receiver{
			Name: r.Name, Kind: r.Kind, Sent: r.Sent, Failed: r.Failed, Retried: r.Retried, Merged: r.Merged,
			Failing: r.Failing, LastError: r.LastError, LastErrorAt: r.LastErrorAt, LastSentAt: r.LastSentAt,
		})
	}
	return out, nil
}

// AlertHistory implements api.AlertSource.
func (al *agentAlerting) AlertHistory(_ context.Context, limit int) ([]client.AlertEvent, error) {
	hist, err := al.m.History(limit)
	if err != nil {
		return nil, err
	}
	out := make([]client.AlertEvent, len(hist))
	for i, e := range hist {
		out[i] = client.AlertEvent{At: e.At, Fingerprint: e.Fingerprint, Rule: e.Rule, Labels: e.Labels, From: e.From, To: e.To, Value: e.Value}
	}
	return out, nil
}

func silenceOut(s alerting.Silence) *client.Silence {
	return &client.Silence{ID: s.ID, Matchers: s.Matchers, Author: s.Author, Comment: s.Comment,
		CreatedAt: s.CreatedAt, StartsAt: s.StartsAt, EndsAt: s.EndsAt, State: s.State(time.Now())}
}

// Silences implements api.AlertSource.
func (al *agentAlerting) Silences(context.Context) ([]client.Silence, error) {
	var out []client.Silence
	for _, s := range al.m.Silences() {
		out = append(out, *silenceOut(s))
	}
	return out, nil
}

// AddSilence implements api.AlertSource.
func (al *agentAlerting) AddSilence(_ context.Context, req client.SilenceRequest) (*client.Silence, error) {
	s := alerting.Silence{Matchers: req.Matchers, Author: req.Author, Comment: req.Comment, StartsAt: req.StartsAt, EndsAt: req.EndsAt}
	if req.Duration != "" {
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			return nil, api.BadRequest(client.CodeInvalidSilence, fmt.Sprintf("duration %q is not a positive duration such as \"2h\"", req.Duration))
		}
		start := req.StartsAt
		if start.IsZero() {
			start = time.Now()
		}
		s.StartsAt, s.EndsAt = start, start.Add(d)
	}
	out, err := al.m.AddSilence(s)
	if errors.Is(err, alerting.ErrInvalidSilence) {
		return nil, api.BadRequest(client.CodeInvalidSilence, err.Error())
	}
	if err != nil {
		return nil, err
	}
	return silenceOut(out), nil
}

// ExpireSilence implements api.AlertSource.
func (al *agentAlerting) ExpireSilence(_ context.Context, id string) (*client.Silence, error) {
	out, err := al.m.ExpireSilence(id)
	if errors.Is(err, alerting.ErrSilenceNotFound) {
		return nil, api.NotFound(client.CodeSilenceNotFound, fmt.Sprintf("no silence has the id %q", id))
	}
	if err != nil {
		return nil, err
	}
	return silenceOut(out), nil
}

// TestReceiver implements api.AlertSource: the platform's answer comes
// back whether it accepted the message or not.
func (al *agentAlerting) TestReceiver(ctx context.Context, name string) (*client.ReceiverTest, error) {
	ans, err := al.m.Test(ctx, name)
	if errors.Is(err, alerting.ErrUnknownReceiver) {
		return nil, api.NotFound(client.CodeReceiverNotFound, fmt.Sprintf("no receiver block is named %q", name))
	}
	out := &client.ReceiverTest{Receiver: name, OK: err == nil, Status: ans.Status, Answer: ans.Body}
	if err != nil {
		out.Error = err.Error()
	}
	return out, nil
}
