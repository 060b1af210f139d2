package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Codes of the conflict routes' errors.
const (
	CodeConflictNotFound = "conflict_not_found"
	CodeConflictResolved = "conflict_resolved"
)

// Conflict is a field changed both at the source and in the store, under a
// manual strategy, waiting for a person (GET /v1/conflicts).
type Conflict struct {
	ID             string    `json:"id"`
	Pipeline       string    `json:"pipeline"`
	SourcePlatform string    `json:"source_platform"`
	SourceID       string    `json:"source_id"`
	Target         string    `json:"target"`
	RemoteID       string    `json:"remote_id,omitempty"`
	Field          string    `json:"field"`
	Kind           string    `json:"kind"`
	Base           string    `json:"base"`
	Source         string    `json:"source"`
	Remote         string    `json:"remote"`
	State          string    `json:"state"` // open or resolved
	DetectedAt     time.Time `json:"detected_at"`
	Take           string    `json:"take,omitempty"`
	Value          string    `json:"value,omitempty"`
	ResolvedAt     time.Time `json:"resolved_at,omitzero"`
	// Applied is set once the resolution reached the store.
	Applied bool `json:"applied,omitempty"`
}

// ConflictResolution is the body of POST /v1/conflicts/{id}/resolve: take
// "source", "remote", or "value" with Value (a price as "12.99 USD", a
// stock as a whole number, text as it is).
type ConflictResolution struct {
	Take  string `json:"take"`
	Value string `json:"value,omitempty"`
}

// ConflictsEndpoint is the handle on /v1/conflicts.
type ConflictsEndpoint struct{ client *Client }

// Conflicts returns the handle on the conflict endpoints.
func (c *Client) Conflicts() *ConflictsEndpoint { return &ConflictsEndpoint{client: c} }

// List returns the conflicts in state ("open", "resolved", or "" for all),
// oldest first.
func (e *ConflictsEndpoint) List(ctx context.Context, state string) ([]Conflict, error) {
	var q url.Values
	if state != "" {
		q = url.Values{"state": {state}}
	}
	var out []Conflict
	err := e.client.do(ctx, http.MethodGet, "/v1/conflicts", q, nil, &out)
	return out, err
}

// Get returns one conflict.
func (e *ConflictsEndpoint) Get(ctx context.Context, id string) (*Conflict, error) {
	var out Conflict
	if err := e.client.do(ctx, http.MethodGet, "/v1/conflicts/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Resolve settles a conflict; its product is synced again to write it.
func (e *ConflictsEndpoint) Resolve(ctx context.Context, id string, r ConflictResolution) (*Conflict, error) {
	var out Conflict
	if err := e.client.do(ctx, http.MethodPost, "/v1/conflicts/"+url.PathEscape(id)+"/resolve", nil, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
