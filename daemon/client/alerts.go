package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Alert is one alert of GET /v1/alerts: a rule's condition holding for one
// subject (a platform account, a job, a cache type).
type Alert struct {
	Fingerprint string            `json:"fingerprint"`
	Rule        string            `json:"rule"`
	State       string            `json:"state"` // pending, firing or resolved
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Value       float64           `json:"value"`
	ActiveAt    time.Time         `json:"active_at"`
	FiredAt     time.Time         `json:"fired_at,omitzero"`
	ResolvedAt  time.Time         `json:"resolved_at,omitzero"`
	// SilencedBy lists the silences that mute it; Inhibited says another
	// firing alert mutes it.
	SilencedBy []string `json:"silenced_by,omitempty"`
	Inhibited  bool     `json:"inhibited,omitempty"`
}

// Receiver says how one receiver's notifications went.
type Receiver struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Sent        int       `json:"sent"`
	Failed      int       `json:"failed"`
	Retried     int       `json:"retried"`
	Merged      int       `json:"merged"`
	Failing     int       `json:"failing"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	LastSentAt  time.Time `json:"last_sent_at,omitzero"`
}

// Alerts is the answer of GET /v1/alerts.
type Alerts struct {
	Alerts    []Alert    `json:"alerts"`
	Receivers []Receiver `json:"receivers"`
}

// AlertEvent is one state change of GET /v1/alerts/history.
type AlertEvent struct {
	At          time.Time         `json:"at"`
	Fingerprint string            `json:"fingerprint"`
	Rule        string            `json:"rule"`
	Labels      map[string]string `json:"labels"`
	From        string            `json:"from,omitempty"`
	To          string            `json:"to"`
	Value       float64           `json:"value"`
}

// Silence mutes the alerts its matchers (label=value, label!=value,
// label=~regexp, label!~regexp) select from StartsAt to EndsAt.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []string  `json:"matchers"`
	Author    string    `json:"author"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	State     string    `json:"state"` // pending, active or expired
}

// SilenceRequest is the body of POST /v1/silences: StartsAt defaults to
// now, and EndsAt may be given as a Duration from the start instead.
type SilenceRequest struct {
	Matchers []string  `json:"matchers"`
	Author   string    `json:"author"`
	Comment  string    `json:"comment"`
	StartsAt time.Time `json:"starts_at,omitzero"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
	Duration string    `json:"duration,omitempty"`
}

// ReceiverTest is the answer of POST /v1/receivers/{name}/test: what the
// platform answered, and the error when it refused.
type ReceiverTest struct {
	Receiver string `json:"receiver"`
	OK       bool   `json:"ok"`
	Status   int    `json:"status,omitempty"`
	Answer   string `json:"answer"`
	Error    string `json:"error,omitempty"`
}

// Error codes of the alerting routes.
const (
	CodeSilenceNotFound  = "silence_not_found"
	CodeInvalidSilence   = "invalid_silence"
	CodeReceiverNotFound = "receiver_not_found"
)

// AlertsEndpoint is the handle on /v1/alerts, /v1/silences and
// /v1/receivers.
type AlertsEndpoint struct{ client *Client }

// Alerts returns the handle on the alerting endpoints.
func (c *Client) Alerts() *AlertsEndpoint { return &AlertsEndpoint{client: c} }

// List returns the alerts and the receivers' status.
func (e *AlertsEndpoint) List(ctx context.Context) (*Alerts, error) {
	var out Alerts
	return &out, e.client.do(ctx, http.MethodGet, "/v1/alerts", nil, nil, &out)
}

// History returns up to limit state changes, newest first.
func (e *AlertsEndpoint) History(ctx context.Context, limit int) ([]AlertEvent, error) {
	var out []AlertEvent
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return out, e.client.do(ctx, http.MethodGet, "/v1/alerts/history", q, nil, &out)
}

// Silences lists the silences, newest first.
func (e *AlertsEndpoint) Silences(ctx context.Context) ([]Silence, error) {
	var out []Silence
	return out, e.client.do(ctx, http.MethodGet, "/v1/silences", nil, nil, &out)
}

// AddSilence creates a silence.
func (e *AlertsEndpoint) AddSilence(ctx context.Context, req SilenceRequest) (*Silence, error) {
	var out Silence
	return &out, e.client.do(ctx, http.MethodPost, "/v1/silences", nil, req, &out)
}

// ExpireSilence ends a silence now.
func (e *AlertsEndpoint) ExpireSilence(ctx context.Context, id string) (*Silence, error) {
	var out Silence
	return &out, e.client.do(ctx, http.MethodPost, "/v1/silences/"+url.PathEscape(id)+"/expire", nil, nil, &out)
}

// TestReceiver sends a test message to a receiver.
func (e *AlertsEndpoint) TestReceiver(ctx context.Context, name string) (*ReceiverTest, error) {
	var out ReceiverTest
	return &out, e.client.do(ctx, http.MethodPost, "/v1/receivers/"+url.PathEscape(name)+"/test", nil, nil, &out)
}
