package agent

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/jobs"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/version"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
)

var _ api.Backend = (*Agent)(nil)

// Version implements api.Backend: the build's version, which GET
// /v1/health reports.
func (a *Agent) Version() string { return version.Version }

// askTimeout bounds a question to an actor on behalf of an API request.
const askTimeout = 10 * time.Second

// Platforms implements api.Backend from each platform actor's status.
func (a *Agent) Platforms(ctx context.Context) ([]client.Platform, error) {
	out := make([]client.Platform, 0, len(a.platforms))
	for _, name := range a.platformNames() {
		e := a.platforms[name]
		ctx, cancel := context.WithTimeout(ctx, askTimeout)
		st, err := platform.GetStatus(ctx, a.system.Root, e.pid)
		cancel()
		if err != nil {
			return nil, api.Unavailable(client.CodeUnavailable, fmt.Sprintf("platform %s did not answer: %v", name, err))
		}
		p := platformFromStatus(st)
		p.Config = e.config.Redacted()
		p.Timeout = e.cfg.Timeout.String()
		out = append(out, p)
	}
	return out, nil
}

// Collect implements api.Backend: it hands the request to the job
// manager, which checks what it means (see package job) and starts the
// job; product URLs are resolved, and a scope listed, by the job, in its
// first step.
func (a *Agent) Collect(ctx context.Context, req client.CollectRequest) (*client.Job, error) {
	if j, forwarded, err := a.forwardCollect(ctx, req); forwarded {
		return j, err
	}
	if req.IdempotencyKey != "" {
		return a.collectOnce(req)
	}
	return a.submitCollect(req)
}

// collectOnce is Collect with an idempotency key: the job the key
// started within jobs.KeyTTL, if the request is the same, else a new job
// that the key names from then on. Keyed requests take turns, so two
// that race with one key start one job. The key is recorded once the job
// exists: should that fail, the job runs and the failure is logged (a
// retry would start a second job).
func (a *Agent) collectOnce(req client.CollectRequest) (*client.Job, error) {
	a.keyed.Lock()
	defer a.keyed.Unlock()
	digest := requestDigest(req)
	k, ok, err := a.jobs.Keyed(req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	if ok && k.Request != digest {
		return nil, &api.Error{Status: http.StatusUnprocessableEntity, Code: client.CodeIdempotencyKeyReused,
			Message: fmt.Sprintf("Idempotency-Key %q started job %s for another request within the last %s: use a new key for a new request", req.IdempotencyKey, k.Job, jobs.KeyTTL)}
	}
	if ok {
		j, err := a.jobs.Get(k.Job)
		if err == nil {
			return jobFromRecord(j), nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		// The key outlived its job in this node's store: start the job
		// again, under the key.
	}
	j, err := a.submitCollect(req)
	if err != nil {
		return nil, err
	}
	if err := a.jobs.Key(req.IdempotencyKey, j.ID, digest, time.Now()); err != nil {
		a.log.Warn("collect job started, but its idempotency key was not recorded: a retry with the key would start another", "job", j.ID, "error", err)
	}
	return j, nil
}

// requestDigest identifies a collect request's content: its platform,
// scope and ids, in order.
func requestDigest(req client.CollectRequest) string {
	h := sha256.New()
	for _, part := range append([]string{req.Platform, req.Scope}, req.IDs...) {
		fmt.Fprintf(h, "%d:%s,", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// submitCollect has the job manager start a collect job.
func (a *Agent) submitCollect(req client.CollectRequest) (*client.Job, error) {
	submit := &job.SubmitCollect{Platform: req.Platform, Ids: req.IDs, Scope: req.Scope}
	res, err := a.system.Root.RequestFuture(a.manager, submit, askTimeout).Result()
	if err != nil {
		return nil, api.Unavailable(client.CodeUnavailable, fmt.Sprintf("the job manager did not answer: %v", err))
	}
	sub, _ := res.(*job.Submitted)
	if e := sub.GetError(); e != nil {
		switch e.Kind {
		case model.KindNotFound:
			return nil, api.UnknownPlatform(req.Platform)
		case model.KindInvalid:
			return nil, api.BadRequest(e.Code, e.Message)
		default:
			return nil, api.Unavailable(e.Code, e.Message)
		}
	}
	return jobFromRecord(sub.GetJob()), nil
}

// resolveURL asks the platform's plugin which id a product page URL names,
// for a person waiting on the answer.
func (a *Agent) resolveURL(ctx context.Context, e *platformEntry, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	call := platform.NewCall(&model.ResolveURLsRequest{Urls: []string{url}})
	call.Priority = platform.Priority_PRIORITY_INTERACTIVE
	res, err := platform.Request(ctx, a.system.Root, e.pid, call)
	if err != nil {
		return "", err
	}
	if ce := res.Err(); ce != nil {
		return "", ce
	}
	results := res.GetResolveUrls().GetResults()
	if len(results) != 1 {
		return "", fmt.Errorf("%d results for one URL", len(results))
	}
	if ue := results[0].GetError(); ue != nil {
		return "", ue
	}
	return results[0].GetId(), nil
}

// configured reports whether a platform block of that name is configured
// now. It reads the live map, so it needs no lock.
func (a *Agent) configured(name string) bool {
	_, ok := a.current()[name]
	return ok
}

// Jobs implements api.Backend. A platform filter must name a configured
// platform, as every route's does: a typo is an error, not "no jobs". In
// a cluster a server lists the cluster's jobs too (withClusterJobs), and
// any other node asks a server (clusterJobList).
func (a *Agent) Jobs(ctx context.Context, opts client.JobListOptions) ([]client.Job, error) {
	if opts.Platform != "" && !a.configured(opts.Platform) {
		return nil, api.UnknownPlatform(opts.Platform)
	}
	if list, handled, err := a.clusterJobList(ctx, opts); handled {
		return list, err
	}
	f := jobs.Filter{Platform: opts.Platform, Limit: opts.Limit}
	if opts.State != "" {
		s, ok := recordJobState[opts.State]
		if !ok {
			return nil, api.BadRequest(client.CodeInvalidQuery, fmt.Sprintf("unknown job state %q", opts.State))
		}
		f.State = &s
	}
	list, _, err := a.jobs.List(f)
	if err != nil {
		return nil, err
	}
	list = a.withClusterJobs(list, f)
	out := make([]client.Job, len(list))
	for i, j := range list {
		out[i] = *jobFromRecord(j)
	}
	return out, nil
}

// Job implements api.Backend, blocking while the job's index is
// w.Index.
func (a *Agent) Job(ctx context.Context, id string, w client.WaitOptions) (*client.Job, error) {
	if j, forwarded, err := a.forwardJob(ctx, id, w); forwarded {
		return j, err
	}
	var timeout <-chan time.Time
	if w.Index != 0 {
		t := time.NewTimer(w.Wait)
		defer t.Stop()
		timeout = t.C
	}
	for {
		changed := a.changes.wait() // before the read, so no change is missed
		j, err := a.jobs.Get(id)
		if errors.Is(err, store.ErrNotFound) {
			if cj, forwarded := a.jobFromCluster(ctx, id, w); forwarded {
				return cj, nil
			}
			return nil, api.JobNotFound(id)
		}
		if err != nil {
			return nil, err
		}
		if w.Index == 0 || jobIndex(j) != w.Index {
			return jobFromRecord(j), nil
		}
		select {
		case <-changed:
		case <-timeout:
			return jobFromRecord(j), nil
		case <-ctx.Done():
			return jobFromRecord(j), nil
		}
	}
}

// CancelJob implements api.Backend.
func (a *Agent) CancelJob(ctx context.Context, id string) (*client.Job, error) {
	if j, forwarded, err := a.forwardCancel(ctx, id); forwarded {
		return j, err
	}
	j, err := a.jobs.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.JobNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if final := jobFromRecord(j); final.State.Final() {
		return nil, api.JobFinished(id, final.State)
	}
	if j.GetKind() == job.Kind_KIND_SYNC {
		return a.cancelSync(id)
	}
	// The job answers once its batches in flight are in: allow for a slow
	// platform.
	res, err := a.system.Root.RequestFuture(a.jobManager(id), &job.Cancel{JobId: id}, 2*time.Minute).Result()
	if err != nil {
		return nil, api.Unavailable(client.CodeUnavailable, fmt.Sprintf("the job did not answer: %v", err))
	}
	c, _ := res.(*job.Cancelled)
	if c.GetError() != nil {
		// It finished between the look and the cancel.
		if j, err := a.jobs.Get(id); err == nil {
			return nil, api.JobFinished(id, jobFromRecord(j).State)
		}
		return nil, api.Conflict(client.CodeJobFinished, c.GetError().GetMessage())
	}
	return jobFromRecord(c.GetJob()), nil
}

// JobItems implements api.Backend.
func (a *Agent) JobItems(ctx context.Context, id string, opts client.ItemListOptions) (*client.ItemPage, error) {
	if page, forwarded, err := a.forwardJobItems(ctx, id, opts); forwarded {
		return page, err
	}
	if _, err := a.jobs.Get(id); errors.Is(err, store.ErrNotFound) {
		return nil, api.JobNotFound(id)
	} else if err != nil {
		return nil, err
	}
	f := jobs.ItemFilter{After: int32(opts.After), Limit: opts.Limit + 1}
	if opts.State != "" {
		s, ok := recordItemState[opts.State]
		if !ok {
			return nil, api.BadRequest(client.CodeInvalidQuery, fmt.Sprintf("unknown item state %q", opts.State))
		}
		f.State = &s
	}
	items, err := a.jobs.Items(id, f)
	if err != nil {
		return nil, err
	}
	page := &client.ItemPage{}
	if len(items) > opts.Limit {
		items = items[:opts.Limit]
		page.Next = int(items[len(items)-1].GetIndex()) + 1
	}
	page.Items = make([]client.JobItem, len(items))
	for i, it := range items {
		page.Items[i] = itemFromRecord(it)
	}
	return page, nil
}

// Product implements api.Backend. A bare id is looked up on every
// platform; found on several, the caller must say which. A product page
// URL is first resolved to an id by the plugin of each platform that
// collects (or of the one named). In a cluster, a platform another node
// owns is looked up in that node's catalogue (catalogueEntry).
func (a *Agent) Product(ctx context.Context, platformName, id string) (*client.Product, error) {
	names := []string{platformName}
	if platformName == "" {
		names = a.platformNames()
	} else if _, ok := a.platforms[platformName]; !ok {
		return nil, api.UnknownPlatform(platformName)
	}
	ids := map[string]string{} // platform → id on it
	for _, name := range names {
		ids[name] = id
	}
	if job.IsURL(id) {
		ids = a.resolveEverywhere(ctx, names, id)
		if len(ids) == 0 {
			return nil, api.NotFound(client.CodeProductNotFound, fmt.Sprintf("no configured platform knows the product page %s", id))
		}
	}
	var found []*client.Product
	for _, name := range names {
		pid, ok := ids[name]
		if !ok {
			continue
		}
		p, err := a.catalogueEntry(ctx, name, pid)
		if err != nil {
			return nil, err
		}
		if p != nil {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, api.ProductNotFound(platformName, id)
	case 1:
	default:
		where := make([]string, len(found))
		for i, p := range found {
			where[i] = p.Platform + ":" + id
		}
		return nil, api.Conflict(client.CodeAmbiguousProduct, fmt.Sprintf("id %q is on several platforms; ask for one of %s", id, strings.Join(where, ", ")))
	}
	return found[0], nil
}

// catalogueEntry is the product id of platform's catalogue, nil when it
// has none. As productsOf, it reads the catalogue of a platform another
// node owns on that node.
func (a *Agent) catalogueEntry(ctx context.Context, platform, id string) (*client.Product, error) {
	if c := a.cluster; c != nil {
		cl, err := c.ownerClient(ctx, platform)
		if err != nil {
			return nil, err
		}
		if cl != nil {
			p, err := cl.Products().Info(ctx, platform+":"+id)
			if ae := (*client.APIError)(nil); errors.As(err, &ae) && ae.Code == client.CodeProductNotFound {
				return nil, nil
			}
			return p, remoteError(err)
		}
	}
	var e *catalog.Entry
	err := a.db.View(func(txn *store.Txn) error {
		var err error
		e, err = catalog.Get(txn, platform, id)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &client.Product{Product: *host.ProductFromModel(e.Product), Platform: e.Platform, CollectedAt: e.CollectedAt}, nil
}

// resolveEverywhere asks the plugin of each named platform that collects
// which id the URL names, and returns the answers that found one.
func (a *Agent) resolveEverywhere(ctx context.Context, names []string, url string) map[string]string {
	out := map[string]string{}
	for _, name := range names {
		e := a.platforms[name]
		if !e.desc.Has(sdk.CapabilityCollect) {
			continue
		}
		if id, err := a.resolveURL(ctx, e, url); err == nil {
			out[name] = id
		}
	}
	return out
}

// Products implements api.Backend: a page of the catalogue, by platform
// name then id, over the configured platforms or the one named. The
// cursor is opaque to callers: the platform and id of the last product
// of the page before, "platform/id" (platform names hold no "/"),
// base64url-encoded. In a cluster, a platform another node owns is read
// from that node's catalogue, which its jobs fill (productsOf).
func (a *Agent) Products(ctx context.Context, opts client.ProductListOptions) (*client.ProductPage, error) {
	names := slices.Sorted(maps.Keys(a.current()))
	if opts.Platform != "" {
		if !a.configured(opts.Platform) {
			return nil, api.UnknownPlatform(opts.Platform)
		}
		names = []string{opts.Platform}
	}
	var fromPlatform, after string
	if opts.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(opts.Cursor)
		var ok bool
		if fromPlatform, after, ok = strings.Cut(string(raw), "/"); err != nil || !ok || after == "" {
			return nil, api.BadRequest(client.CodeInvalidQuery, fmt.Sprintf("cursor %q is not the next of a page of products", opts.Cursor))
		}
	}
	page := &client.ProductPage{}
	for k, name := range names {
		if name < fromPlatform {
			continue
		}
		start := ""
		if name == fromPlatform {
			start = after
		}
		list, more, err := a.productsOf(ctx, name, start, opts.Limit-len(page.Products))
		if err != nil {
			return nil, err
		}
		page.Products = append(page.Products, list...)
		if len(page.Products) < opts.Limit {
			continue
		}
		// A full page: there is a next one if this platform or a later
		// one has another product.
		for _, later := range names[k+1:] {
			if more {
				break
			}
			if _, more, err = a.productsOf(ctx, later, "", 0); err != nil {
				return nil, err
			}
		}
		if more {
			last := page.Products[len(page.Products)-1]
			page.Next = base64.RawURLEncoding.EncodeToString([]byte(last.Platform + "/" + last.ID))
		}
		return page, nil
	}
	return page, nil
}

// productsOf is up to n products of platform's catalogue after the id
// start, and whether it has more after them (n 0: only whether it has
// any). The catalogue of a platform another node of the cluster owns is
// that node's, which its jobs fill: it is read there, so a node that
// collected the platform before a failover does not serve its stale
// copy; while nobody owns the platform the read waits up to ownerHold,
// then answers 503 no_owner.
func (a *Agent) productsOf(ctx context.Context, platform, start string, n int) (_ []client.Product, more bool, _ error) {
	if c := a.cluster; c != nil {
		cl, err := c.ownerClient(ctx, platform)
		if err != nil {
			return nil, false, err
		}
		if cl != nil {
			opts := client.ProductListOptions{Platform: platform, Limit: max(n, 1)}
			if start != "" {
				opts.Cursor = base64.RawURLEncoding.EncodeToString([]byte(platform + "/" + start))
			}
			page, err := cl.Products().List(ctx, opts)
			if err != nil {
				return nil, false, remoteError(err)
			}
			if n == 0 {
				return nil, len(page.Products) > 0, nil
			}
			return page.Products, page.Next != "", nil
		}
	}
	var out []client.Product
	err := a.db.View(func(txn *store.Txn) error {
		// One more than asked, to know whether there is more.
		entries, _, err := catalog.List(txn, platform, start, n+1)
		if err != nil {
			return err
		}
		more = len(entries) > n
		for _, e := range entries[:min(n, len(entries))] {
			out = append(out, client.Product{Product: *host.ProductFromModel(e.Product), Platform: e.Platform, CollectedAt: e.CollectedAt})
		}
		return nil
	})
	return out, more, err
}
