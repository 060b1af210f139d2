package apitest

import (
	"cmp"
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk"
)

// Version is the build version the fake agent reports.
const Version = "0.0.0-apitest"

// Epoch is the fake clock's first reading; every job event moves it on by
// one second.
var Epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Backend is an in-memory api.Backend.
//
// A job started with Collect is queued; each Job call on it then advances it
// by Step items (default 1): the first call starts it; if it was given
// product page URLs, the next resolves them all as the agent's sandbox
// plugin does (SandboxURL; any other URL fails as an item); if it was given
// a scope, each next one lists a page of Listings[scope] (ListPage ids,
// default 2) until the listing ends; later ones settle Step pending items
// each, succeeding unless Failures names the id, until it is final. A test
// that polls therefore sees every state and step in order and ends when
// the job does.
type Backend struct {
	// Step is how many items one look at a running job settles.
	Step int
	// Failures makes the collect of an id fail with that error.
	Failures map[string]*sdk.Error
	// Err, when set, is returned by every method instead of an answer.
	Err error
	// PausedReason, when set, shows a job paused for that reason on the
	// look that starts it, as a platform refusing calls would; the next
	// look resumes it.
	PausedReason string
	// Listings are the ids a scope lists; an unknown scope lists none.
	Listings map[string][]string
	// ListPage is how many ids one look at a listing job lists.
	ListPage int

	mu        sync.Mutex
	clock     time.Time
	seq       int
	platforms []client.Platform
	jobs      []*fakeJob
	products  []client.Product
	collected []client.CollectRequest
}

type fakeJob struct {
	job   client.Job
	items []client.JobItem
	// listed is how many ids of its scope's listing a job has listed.
	listed int
	// live jobs advance on every look; added ones keep their state.
	live bool
}

var _ api.Backend = (*Backend)(nil)

// NewBackend returns an empty backend.
func NewBackend() *Backend { return &Backend{clock: Epoch} }

// AddPlatform configures a platform.
func (b *Backend) AddPlatform(p client.Platform) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.platforms = append(b.platforms, p)
}

// AddJob stores a job as it is, with its items; it does not advance.
func (b *Backend) AddJob(j client.Job, items []client.JobItem) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.jobs = append(b.jobs, &fakeJob{job: j, items: items})
}

// AddProduct puts a product in the catalogue.
func (b *Backend) AddProduct(p client.Product) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.products = append(b.products, p)
}

// Collected returns the collect requests the backend accepted, in order.
func (b *Backend) Collected() []client.CollectRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.collected)
}

func (b *Backend) tick() time.Time {
	b.clock = b.clock.Add(time.Second)
	return b.clock
}

// Version implements api.Backend.
func (b *Backend) Version() string { return Version }

// Platforms implements api.Backend.
func (b *Backend) Platforms(ctx context.Context) ([]client.Platform, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Err != nil {
		return nil, b.Err
	}
	return slices.Clone(b.platforms), nil
}

// Collect implements api.Backend.
func (b *Backend) Collect(ctx context.Context, req client.CollectRequest) (*client.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Err != nil {
		return nil, b.Err
	}
	if !b.hasPlatform(req.Platform) {
		return nil, api.UnknownPlatform(req.Platform)
	}
	b.collected = append(b.collected, req)
	b.seq++
	fj := &fakeJob{live: true, job: client.Job{
		ID:        fmt.Sprintf("job-%04d", b.seq),
		Kind:      client.JobKindCollect,
		Platform:  req.Platform,
		State:     client.JobQueued,
		Step:      client.JobStepCollecting,
		CreatedAt: b.tick(),
		Total:     len(req.IDs),
	}}
	if req.Scope != "" {
		fj.job.Scope, fj.job.Step = req.Scope, client.JobStepListing
	}
	for i, id := range req.IDs {
		it := client.JobItem{Index: i, ID: id, State: client.ItemPending}
		if strings.Contains(id, "/") {
			it.ID, it.URL = "", id
			fj.job.ToResolve++
			fj.job.Step = client.JobStepResolving
		}
		fj.items = append(fj.items, it)
	}
	b.jobs = append(b.jobs, fj)
	job := fj.job
	return &job, nil
}

// refuse is Err, or UnknownPlatform for a platform name no platform has;
// nil for "" (every platform).
func (b *Backend) refuse(platform string) error {
	switch {
	case b.Err != nil:
		return b.Err
	case platform != "" && !b.hasPlatform(platform):
		return api.UnknownPlatform(platform)
	}
	return nil
}

func (b *Backend) hasPlatform(name string) bool {
	return slices.ContainsFunc(b.platforms, func(p client.Platform) bool { return p.Name == name })
}

// advance moves a live job one step on.
func (b *Backend) advance(fj *fakeJob) {
	j := &fj.job
	switch {
	case !fj.live || j.State.Final():
		return
	case j.State == client.JobQueued:
		j.State, j.StartedAt = client.JobRunning, b.tick()
		if b.PausedReason != "" {
			j.PausedReason, j.PausedUntil = b.PausedReason, j.StartedAt.Add(time.Minute)
		}
		return
	case j.Step == client.JobStepResolving:
		b.resolve(fj)
		return
	case j.Step == client.JobStepListing:
		b.list(fj)
		return
	}
	j.PausedReason, j.PausedUntil = "", time.Time{}
	step := max(b.Step, 1)
	for i := range fj.items {
		it := &fj.items[i]
		if step == 0 {
			break
		}
		if it.State != client.ItemPending {
			continue
		}
		if slices.ContainsFunc(fj.items[:i], func(o client.JobItem) bool { return o.ID == it.ID }) {
			continue // a duplicate, settled with its first item
		}
		step--
		it.Attempts++
		j.Calls++
		state, e := client.ItemSucceeded, b.Failures[it.ID]
		if e != nil {
			state = client.ItemFailed
		} else {
			b.collect(j.Platform, it.ID)
		}
		for k := range fj.items[i:] {
			if d := &fj.items[i+k]; d.ID == it.ID && d.State == client.ItemPending {
				d.State, d.Error = state, e
				if state == client.ItemFailed {
					j.Failed++
				} else {
					j.Succeeded++
				}
			}
		}
	}
	j.UpdatedAt = b.tick()
	if j.Done() < j.Total {
		return
	}
	j.FinishedAt = j.UpdatedAt
	switch {
	case j.Failed == 0:
		j.State = client.JobSucceeded
	case j.Succeeded == 0:
		j.State = client.JobFailed
	default:
		j.State = client.JobPartial
	}
}

// SandboxURL is the product page of id on the sandbox platform, which
// the fake resolves as the sandbox plugin does.
func SandboxURL(id string) string { return sandboxURLPrefix + id + ".html" }

const sandboxURLPrefix = "https://item.sandbox.marketsync.invalid/item/"

// resolve gives each URL item of a resolving job its id, or fails it, and
// moves the job to collecting.
func (b *Backend) resolve(fj *fakeJob) {
	j := &fj.job
	for i := range fj.items {
		it := &fj.items[i]
		if it.URL == "" {
			continue
		}
		rest, isSandbox := strings.CutPrefix(it.URL, sandboxURLPrefix)
		if id, isPage := strings.CutSuffix(rest, ".html"); isSandbox && isPage && id != "" {
			it.ID = id
		} else {
			it.State, it.Error = client.ItemFailed, &sdk.Error{Kind: sdk.KindInvalid, Code: "NOT_A_PRODUCT_URL", Message: fmt.Sprintf("%q is not a sandbox product page", it.URL)}
			j.Failed++
		}
		j.Resolved++
	}
	j.Step, j.UpdatedAt = client.JobStepCollecting, b.tick()
}

// list adds a page of the job's listing as items, and moves the job to
// collecting after the last page.
func (b *Backend) list(fj *fakeJob) {
	j := &fj.job
	all := b.Listings[j.Scope]
	page := all[fj.listed:min(fj.listed+max(b.ListPage, 2), len(all))]
	for _, id := range page {
		fj.items = append(fj.items, client.JobItem{Index: len(fj.items), ID: id, State: client.ItemPending})
	}
	fj.listed += len(page)
	j.Total, j.ListedPages, j.UpdatedAt = len(fj.items), j.ListedPages+1, b.tick()
	if fj.listed == len(all) {
		j.Step = client.JobStepCollecting
	}
}

// collect puts the product of a succeeded item in the catalogue, as the
// agent's collect job does, replacing an earlier copy.
func (b *Backend) collect(platform, id string) {
	p := Product(platform, id)
	p.CollectedAt = b.clock
	for i := range b.products {
		if b.products[i].Platform == platform && b.products[i].ID == id {
			b.products[i] = p
			return
		}
	}
	b.products = append(b.products, p)
}

func (b *Backend) find(id string) (*fakeJob, error) {
	if b.Err != nil {
		return nil, b.Err
	}
	for _, fj := range b.jobs {
		if fj.job.ID == id {
			return fj, nil
		}
	}
	return nil, api.JobNotFound(id)
}

// Jobs implements api.Backend: newest first.
func (b *Backend) Jobs(ctx context.Context, opts client.JobListOptions) ([]client.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.refuse(opts.Platform); err != nil {
		return nil, err
	}
	var out []client.Job
	for _, fj := range b.jobs {
		if (opts.State == "" || fj.job.State == opts.State) && (opts.Platform == "" || fj.job.Platform == opts.Platform) {
			out = append(out, fj.job)
		}
	}
	slices.SortStableFunc(out, func(a, b client.Job) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if opts.Limit > 0 && len(out) > opts.Limit {
		out = out[:opts.Limit]
	}
	return out, nil
}

// Job implements api.Backend; a look at a live job advances it, so it
// never needs to block on wait.
func (b *Backend) Job(ctx context.Context, id string, _ client.WaitOptions) (*client.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fj, err := b.find(id)
	if err != nil {
		return nil, err
	}
	b.advance(fj)
	job := fj.job
	return &job, nil
}

// CancelJob implements api.Backend.
func (b *Backend) CancelJob(ctx context.Context, id string) (*client.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fj, err := b.find(id)
	if err != nil {
		return nil, err
	}
	if fj.job.State.Final() {
		return nil, api.JobFinished(id, fj.job.State)
	}
	fj.job.State, fj.job.FinishedAt = client.JobCancelled, b.tick()
	job := fj.job
	return &job, nil
}

// JobItems implements api.Backend.
func (b *Backend) JobItems(ctx context.Context, id string, opts client.ItemListOptions) (*client.ItemPage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fj, err := b.find(id)
	if err != nil {
		return nil, err
	}
	page := &client.ItemPage{}
	for _, it := range fj.items {
		if it.Index < opts.After || (opts.State != "" && it.State != opts.State) {
			continue
		}
		if opts.Limit > 0 && len(page.Items) == opts.Limit {
			page.Next = page.Items[len(page.Items)-1].Index + 1
			break
		}
		page.Items = append(page.Items, it)
	}
	return page, nil
}

// Product implements api.Backend.
func (b *Backend) Product(ctx context.Context, platform, id string) (*client.Product, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.refuse(platform); err != nil {
		return nil, err
	}
	var found []client.Product
	for _, p := range b.products {
		if p.ID == id && (platform == "" || p.Platform == platform) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, api.ProductNotFound(platform, id)
	case 1:
		return &found[0], nil
	}
	slices.SortFunc(found, func(a, b client.Product) int { return cmp.Compare(a.Platform, b.Platform) })
	return nil, api.Conflict(client.CodeAmbiguousProduct,
		fmt.Sprintf("id %q is on platforms %s and %s; ask for platform:id", id, found[0].Platform, found[1].Platform))
}

// Products implements api.Backend: by platform then id. The cursor is
// the platform and id of the last product of a page, "platform/id".
func (b *Backend) Products(ctx context.Context, opts client.ProductListOptions) (*client.ProductPage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.refuse(opts.Platform); err != nil {
		return nil, err
	}
	if opts.Cursor != "" && !strings.Contains(opts.Cursor, "/") {
		return nil, api.BadRequest(client.CodeInvalidQuery, fmt.Sprintf("cursor %q is not the next of a page", opts.Cursor))
	}
	list := slices.Clone(b.products)
	key := func(p client.Product) string { return p.Platform + "/" + p.ID }
	slices.SortFunc(list, func(x, y client.Product) int { return cmp.Compare(key(x), key(y)) })
	page := &client.ProductPage{}
	for _, p := range list {
		if (opts.Platform != "" && p.Platform != opts.Platform) || (opts.Cursor != "" && key(p) <= opts.Cursor) {
			continue
		}
		if opts.Limit > 0 && len(page.Products) == opts.Limit {
			page.Next = key(page.Products[len(page.Products)-1])
			break
		}
		page.Products = append(page.Products, p)
	}
	return page, nil
}

// NewServer serves b through the API with token (empty for none) on an
// httptest server closed when the test ends.
func NewServer(t testing.TB, b *Backend, token string) *httptest.Server {
	t.Helper()
	return Serve(t, api.Config{Backend: b, Token: token})
}

// Serve serves the API configured by cfg on an httptest server closed when
// the test ends.
func Serve(t testing.TB, cfg api.Config) *httptest.Server {
	t.Helper()
	s, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}
