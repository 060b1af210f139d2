package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// CodeUnknownPipeline is the error code of a sync name no sync block has.
const CodeUnknownPipeline = "unknown_pipeline"

// SyncPipeline is one sync block and where its runs are (GET /v1/sync).
type SyncPipeline struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Target string `json:"target"`
	// Schedule is the cron spec or "@every <duration>"; empty runs only on
	// demand and on webhooks.
	Schedule string    `json:"schedule,omitempty"`
	Next     time.Time `json:"next,omitzero"`
	// Active is the running job, if any; Last the last one this agent ran
	// to its end.
	Active *Job `json:"active,omitempty"`
	Last   *Job `json:"last,omitempty"`
}

// SyncRunRequest is the body of POST /v1/sync/{name}/run: the source
// product ids to sync, even if unchanged; none syncs every product of the
// source whose listing changed.
type SyncRunRequest struct {
	IDs []string `json:"ids,omitempty"`
}

// Binding ties a source product to its product on one store
// (GET /v1/bindings).
type Binding struct {
	SourcePlatform string            `json:"source_platform"`
	SourceID       string            `json:"source_id"`
	Target         string            `json:"target"`
	RemoteID       string            `json:"remote_id"`
	Variants       map[string]string `json:"variants,omitempty"` // SKU → remote variant
	// SyncedAt is when the product was last written or checked; zero
	// without a snapshot.
	SyncedAt time.Time `json:"synced_at,omitzero"`
	Pipeline string    `json:"pipeline,omitempty"`
}

// Decision is how one field of a product was settled by a sync, with both
// values and the rule that decided (GET /v1/history).
type Decision struct {
	Pipeline string    `json:"pipeline"`
	Target   string    `json:"target"`
	Field    string    `json:"field"`
	Base     string    `json:"base"`
	Source   string    `json:"source"`
	Remote   string    `json:"remote"`
	Chosen   string    `json:"chosen"`
	Rule     string    `json:"rule"`
	Pushed   bool      `json:"pushed"`
	JobID    string    `json:"job_id,omitempty"`
	At       time.Time `json:"at"`
}

// SyncEndpoint is the handle on /v1/sync, /v1/bindings and /v1/history.
type SyncEndpoint struct{ client *Client }

// Sync returns the handle on the sync endpoints.
func (c *Client) Sync() *SyncEndpoint { return &SyncEndpoint{client: c} }

// List returns every pipeline.
func (e *SyncEndpoint) List(ctx context.Context) ([]SyncPipeline, error) {
	var out []SyncPipeline
	err := e.client.do(ctx, http.MethodGet, "/v1/sync", nil, nil, &out)
	return out, err
}

// Run starts a run of the pipeline, or returns the one running.
func (e *SyncEndpoint) Run(ctx context.Context, name string, req SyncRunRequest) (*Job, error) {
	var out Job
	if err := e.client.do(ctx, http.MethodPost, "/v1/sync/"+url.PathEscape(name)+"/run", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Bindings returns the bindings of a source product on every store.
func (e *SyncEndpoint) Bindings(ctx context.Context, platform, id string) ([]Binding, error) {
	var out []Binding
	err := e.client.do(ctx, http.MethodGet, "/v1/bindings", url.Values{"platform": {platform}, "id": {id}}, nil, &out)
	return out, err
}

// History returns the decisions recorded for a source product, oldest
// first.
func (e *SyncEndpoint) History(ctx context.Context, platform, id string) ([]Decision, error) {
	var out []Decision
	err := e.client.do(ctx, http.MethodGet, "/v1/history", url.Values{"platform": {platform}, "id": {id}}, nil, &out)
	return out, err
}
