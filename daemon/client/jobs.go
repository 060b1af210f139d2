package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// JobKind says what a job does.
type JobKind string

// JobKindCollect fetches products by id or product page URL from a source
// platform into the catalogue; JobKindSync pushes a sync pipeline's
// changed products to its store.
const (
	JobKindCollect JobKind = "collect"
	JobKindSync    JobKind = "sync"
)

// JobStep is what a job is doing. A collect job given product page URLs
// first resolves them (JobStepResolving), one given a listing scope first
// pages through the listing (JobStepListing), then both collect
// (JobStepCollecting); one given ids only starts collecting.
type JobStep string

const (
	JobStepListing    JobStep = "listing"
	JobStepResolving  JobStep = "resolving"
	JobStepCollecting JobStep = "collecting"
)

// JobState is where a job is in its life. Queued and running jobs are live;
// the others are final and never change again.
type JobState string

const (
	JobQueued  JobState = "queued"
	JobRunning JobState = "running"
	// JobSucceeded: every item succeeded.
	JobSucceeded JobState = "succeeded"
	// JobPartial: finished, some items failed.
	JobPartial JobState = "partial"
	// JobFailed: finished, every item failed, or the job could not run.
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// JobStates lists every state, live ones first.
var JobStates = []JobState{JobQueued, JobRunning, JobSucceeded, JobPartial, JobFailed, JobCancelled}

// Final reports whether a job in state s is finished.
func (s JobState) Final() bool {
	switch s {
	case JobSucceeded, JobPartial, JobFailed, JobCancelled:
		return true
	}
	return false
}

// Job is a collect job or a sync run and how far it got.
type Job struct {
	ID       string   `json:"id"`
	Kind     JobKind  `json:"kind"`
	Platform string   `json:"platform"`
	State    JobState `json:"state"`

	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`

	// Step is what the job is doing; while it is JobStepResolving,
	// Resolved of the ToResolve items given as URLs have been resolved to
	// an id or failed.
	Step      JobStep `json:"step,omitempty"`
	ToResolve int     `json:"to_resolve,omitempty"`
	Resolved  int     `json:"resolved,omitempty"`
	// Scope is the listing a job collects as a whole (a shop, a
	// category), for a job given one instead of ids. While it is
	// JobStepListing, Total counts the ids listed so far: the plugin
	// protocol gives no listing's total, so none is known in advance.
	// ListedPages is how many pages of it were read.
	Scope       string `json:"scope,omitempty"`
	ListedPages int    `json:"listed_pages,omitempty"`

	// A sync job's pipeline (Platform is its store), its write calls by
	// operation (upsert_products, set_prices, set_inventory) and its
	// reads of the store.
	Pipeline string    `json:"pipeline,omitempty"`
	Writes   JobWrites `json:"writes,omitzero"`
	Reads    int       `json:"reads,omitempty"`

	// Total items; Succeeded + Failed + Pending == Total.
	Total     int `json:"total"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Pending   int `json:"pending"`
	// Calls is the number of plugin calls made for the job that reach the
	// platform, retries included; resolving URLs makes none.
	Calls int `json:"calls"`
	// Error says why the whole job failed, when it did.
	Error string `json:"error,omitempty"`
	// PausedUntil is set while the platform refuses calls (an open circuit
	// breaker, a rate-limit ban): the job waits, without spending its
	// items' attempts, and resumes on its own. PausedReason says why.
	PausedUntil  time.Time `json:"paused_until,omitzero"`
	PausedReason string    `json:"paused_reason,omitempty"`
	// Index changes whenever the job does; give it to Watch to wait for
	// the next change. It is above 2^53, where JSON readers that hold
	// numbers as doubles (JavaScript, jq) round it, so on the wire it is a
	// string of decimal digits, as in the X-Marketsync-Index header.
	Index uint64 `json:"index,string"`
}

// JobWrites counts a sync job's write calls to its store, by operation.
type JobWrites struct {
	UpsertProducts int `json:"upsert_products,omitempty"`
	SetPrices      int `json:"set_prices,omitempty"`
	SetInventory   int `json:"set_inventory,omitempty"`
}

// Total is the sum of the write calls.
func (w JobWrites) Total() int { return w.UpsertProducts + w.SetPrices + w.SetInventory }

// HeaderIndex is the response header that carries a job's index on
// GET /v1/jobs/{id}, as Consul's X-Consul-Index does.
const HeaderIndex = "X-Marketsync-Index"

// UnmarshalJSON reads a job whose index is a string, as this version of
// the agent writes it, or a number, as earlier ones did.
func (j *Job) UnmarshalJSON(b []byte) error {
	type plain Job
	v := struct {
		*plain
		Index json.RawMessage `json:"index"`
	}{plain: (*plain)(j)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if len(v.Index) == 0 || string(v.Index) == "null" {
		return nil
	}
	n, err := ParseIndex(string(v.Index))
	if err != nil {
		return fmt.Errorf("job index: %w", err)
	}
	j.Index = n
	return nil
}

// ParseIndex reads an index written as decimal digits, with or without
// the double quotes of a JSON string.
func ParseIndex(s string) (uint64, error) {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an index: want the decimal digits of a job's index", s)
	}
	return n, nil
}

// Resolving reports whether the job is resolving product page URLs.
func (j *Job) Resolving() bool { return j.Step == JobStepResolving && !j.State.Final() }

// Listing reports whether the job is paging through its scope's listing.
func (j *Job) Listing() bool { return j.Step == JobStepListing && !j.State.Final() }

// Done is the number of items that reached a final state.
func (j *Job) Done() int { return j.Succeeded + j.Failed }

// Progress is the finished fraction of the job's items, from 0 to 1; a job
// without items is complete once it is final.
func (j *Job) Progress() float64 {
	if j.Total <= 0 {
		if j.State.Final() {
			return 1
		}
		return 0
	}
	return float64(j.Done()) / float64(j.Total)
}

// Elapsed is how long the job has run: from its start to its finish, or to
// now while it is still running; zero before it started.
func (j *Job) Elapsed(now time.Time) time.Duration {
	if j.StartedAt.IsZero() {
		return 0
	}
	end := now
	if !j.FinishedAt.IsZero() {
		end = j.FinishedAt
	}
	return end.Sub(j.StartedAt)
}

// ItemState is where one item of a job is.
type ItemState string

const (
	ItemPending   ItemState = "pending"
	ItemSucceeded ItemState = "succeeded"
	ItemFailed    ItemState = "failed"
)

// ItemStates lists every item state.
var ItemStates = []ItemState{ItemPending, ItemSucceeded, ItemFailed}

// JobItem is one id or URL of a job's request and its outcome.
type JobItem struct {
	// Index is the item's position in the job's request, from 0.
	Index int `json:"index"`
	// ID is the product's id: as given, or, for an item given as a
	// product page URL, the id the URL names once it is resolved (empty
	// before, or when the URL names no product).
	ID    string    `json:"id"`
	URL   string    `json:"url,omitempty"`
	State ItemState `json:"state"`
	// Error is the platform's typed failure of a failed item.
	Error *sdk.Error `json:"error,omitempty"`
	// Attempts is how many times the item was sent to the platform.
	Attempts  int       `json:"attempts"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// ItemPage is one page of a job's items, in index order.
type ItemPage struct {
	Items []JobItem `json:"items"`
	// Next is the After of the following page; zero when this page is the
	// last.
	Next int `json:"next,omitempty"`
}

// CollectRequest asks the agent to fetch products from a platform. IDs
// are the platform's own item ids or product page URLs, which the job
// resolves to ids first; each may appear once. An id and a URL (or two
// URLs) that turn out to name the same product are collected once.
//
// Scope, instead of IDs, collects a whole listing: the job first pages
// through the platform's listing of that scope (a shop, a seller, a
// category; what it means is the plugin's), then collects every id listed.
type CollectRequest struct {
	Platform string   `json:"platform"`
	IDs      []string `json:"ids,omitempty"`
	Scope    string   `json:"scope,omitempty"`
	// IdempotencyKey, sent as the Idempotency-Key header, makes the
	// request safe to repeat: for 24 hours the same key answers with the
	// job it started instead of starting another (and the same key with
	// another request is refused, CodeIdempotencyKeyReused). A client
	// that may retry after a lost answer picks one key per request, such
	// as a random UUID.
	IdempotencyKey string `json:"-"`
}

// JobListOptions filters GET /v1/jobs. Zero values do not filter; a zero
// Limit takes the server's default. Jobs come newest first.
type JobListOptions struct {
	State    JobState
	Platform string
	Limit    int
}

func (o JobListOptions) query() url.Values {
	q := url.Values{}
	setQuery(q, "state", string(o.State))
	setQuery(q, "platform", o.Platform)
	setQueryInt(q, "limit", o.Limit)
	return q
}

// ItemListOptions filters and pages GET /v1/jobs/{id}/items. After skips
// the first After positions of the job's request: a page holds items whose
// index is at least After, and its Next is the After of the page that
// follows. A zero Limit takes the server's default.
type ItemListOptions struct {
	State ItemState
	After int
	Limit int
}

func (o ItemListOptions) query() url.Values {
	q := url.Values{}
	setQuery(q, "state", string(o.State))
	setQueryInt(q, "after", o.After)
	setQueryInt(q, "limit", o.Limit)
	return q
}

func setQuery(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

func setQueryInt(q url.Values, key string, value int) {
	if value != 0 {
		q.Set(key, strconv.Itoa(value))
	}
}

// Jobs is the handle on the job endpoints.
type Jobs struct {
	client *Client
}

// Jobs returns the handle on the job endpoints.
func (c *Client) Jobs() *Jobs { return &Jobs{client: c} }

// Collect starts a collect job and returns it as queued.
func (j *Jobs) Collect(ctx context.Context, req CollectRequest) (*Job, error) {
	var job Job
	var header http.Header
	if req.IdempotencyKey != "" {
		header = http.Header{HeaderIdempotencyKey: {req.IdempotencyKey}}
	}
	if _, err := j.client.doWith(ctx, http.MethodPost, "/v1/collect", nil, header, req, &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// List returns jobs, newest first.
func (j *Jobs) List(ctx context.Context, opts JobListOptions) ([]Job, error) {
	var jobs []Job
	if err := j.client.do(ctx, http.MethodGet, "/v1/jobs", opts.query(), nil, &jobs); err != nil {
		return nil, err
	}
	return jobs, nil
}

// Info returns one job.
func (j *Jobs) Info(ctx context.Context, id string) (*Job, error) {
	return j.Watch(ctx, id, WaitOptions{})
}

// WaitOptions make a read a blocking query, as Consul's and Nomad's are:
// the answer comes when the object's index differs from Index, or after
// Wait (the server caps it at five minutes), whichever is first.
type WaitOptions struct {
	Index uint64
	Wait  time.Duration
}

func (o WaitOptions) query() url.Values {
	q := url.Values{}
	if o.Index > 0 {
		q.Set("index", strconv.FormatUint(o.Index, 10))
	}
	if o.Wait > 0 {
		q.Set("wait", o.Wait.String())
	}
	return q
}

// Watch returns the job once it has changed since w.Index, or as it is
// after w.Wait. Following a job this way costs one request per change
// instead of one per poll interval.
func (j *Jobs) Watch(ctx context.Context, id string, w WaitOptions) (*Job, error) {
	var job Job
	header, err := j.client.doHeader(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id), w.query(), nil, &job)
	if err != nil {
		return nil, err
	}
	if raw := header.Get(HeaderIndex); raw != "" {
		n, err := ParseIndex(raw)
		if err != nil {
			return nil, fmt.Errorf("%s header: %w", HeaderIndex, err)
		}
		job.Index = n
	}
	return &job, nil
}

// Cancel stops a queued or running job: no new batch is sent, the
// batches in flight are kept, the items left stay pending. It returns the
// job as it ended.
func (j *Jobs) Cancel(ctx context.Context, id string) (*Job, error) {
	var job Job
	if err := j.client.do(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(id)+"/cancel", nil, nil, &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// Items returns one page of a job's items.
func (j *Jobs) Items(ctx context.Context, id string, opts ItemListOptions) (*ItemPage, error) {
	var page ItemPage
	if err := j.client.do(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id)+"/items", opts.query(), nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}
