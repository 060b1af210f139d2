package client

import (
	"context"
	"net/http"
	"time"
)

// PlatformState is the state of a platform's actor and plugin process.
type PlatformState string

const (
	PlatformStarting PlatformState = "starting"
	PlatformReady    PlatformState = "ready"
	// PlatformRestarting: the plugin died or stopped answering; a new one
	// is being started after a backoff.
	PlatformRestarting PlatformState = "restarting"
	// PlatformFailed: the plugin refused its config, or kept failing past
	// the platform's restart policy; calls fail fast. Reason says why, and
	// RetryAt when the plugin is tried again (zero: after a reload).
	PlatformFailed   PlatformState = "failed"
	PlatformStopping PlatformState = "stopping"
	// PlatformUnauthorized: the platform rejected the credentials; calls
	// fail fast until the block is fixed and reloaded. Reason says which
	// settings to check.
	PlatformUnauthorized PlatformState = "unauthorized"
)

// Platform is one configured platform block, as its actor sees it now.
type Platform struct {
	// Name is the block's name, which requests use; Plugin the plugin
	// serving it and Version that plugin's version.
	Name         string        `json:"name"`
	Plugin       string        `json:"plugin"`
	Version      string        `json:"version"`
	State        PlatformState `json:"state"`
	Capabilities []string      `json:"capabilities"`

	// Rate (requests per second) and Burst are the limiter settings in
	// force; LimitSource says where they came from ("config" or "plugin").
	// Tokens is what the limiter holds now.
	Rate        float64 `json:"rate"`
	Burst       int     `json:"burst"`
	LimitSource string  `json:"limit_source,omitempty"`
	Tokens      float64 `json:"tokens"`

	// Timeout is the platform block's timeout, as a Go duration ("30s"):
	// it bounds one attempt of a call to the plugin, as the platform's
	// actor sees it. The plugin's own timeout setting, in Config, bounds
	// one HTTP request from the plugin to the platform.
	Timeout string `json:"timeout"`

	// Concurrency is the most calls in flight at once; InFlight and Queued
	// are the calls running and waiting now.
	Concurrency int `json:"concurrency"`
	InFlight    int `json:"in_flight"`
	Queued      int `json:"queued"`

	// Restarts counts plugin restarts since the agent started.
	Restarts    int       `json:"restarts"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Reason says why a failed or unauthorized platform refuses calls;
	// RetryAt is when a failed one tries its plugin again.
	Reason  string    `json:"reason,omitempty"`
	RetryAt time.Time `json:"retry_at,omitzero"`
	// MaxBatch is the per-operation batch cap the plugin declared.
	MaxBatch map[string]int `json:"max_batch,omitempty"`

	// Adaptive says whether Rate adapts to rate-limited answers, up to
	// ConfiguredRate, the rate the config or the plugin's documentation set.
	Adaptive       bool    `json:"adaptive"`
	ConfiguredRate float64 `json:"configured_rate"`
	// Breaker is the circuit breaker's state: closed, open or half-open;
	// BreakerUntil is when an open breaker lets probe calls through.
	Breaker      string    `json:"breaker"`
	BreakerUntil time.Time `json:"breaker_until,omitzero"`
	// RetryBudget is how many retries the retry budget allows now.
	RetryBudget float64 `json:"retry_budget"`
	// Config is the platform's config block as the plugin received it,
	// sensitive values replaced by "(sensitive)".
	Config map[string]any `json:"config,omitempty"`
}

// Platforms is the handle on the platform endpoints.
type Platforms struct {
	client *Client
}

// Platforms returns the handle on the platform endpoints.
func (c *Client) Platforms() *Platforms { return &Platforms{client: c} }

// List returns every configured platform, by name.
func (p *Platforms) List(ctx context.Context) ([]Platform, error) {
	var out []Platform
	if err := p.client.do(ctx, http.MethodGet, "/v1/platforms", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
