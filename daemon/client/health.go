package client

import (
	"context"
	"net/http"
	"time"
)

// Health is what GET /v1/health answers; it needs no token.
type Health struct {
	// Status is "ok" when the agent serves requests.
	Status  string `json:"status"`
	Version string `json:"version"`
	// UptimeSeconds is how long the agent's API has been up.
	UptimeSeconds float64 `json:"uptime_seconds"`
}

// Uptime is UptimeSeconds as a duration.
func (h *Health) Uptime() time.Duration {
	return time.Duration(h.UptimeSeconds * float64(time.Second))
}

// Health asks the agent whether it is up.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var out Health
	if err := c.do(ctx, http.MethodGet, "/v1/health", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
