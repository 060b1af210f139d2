package plugintest

import (
	"fmt"
	"maps"
	"slices"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
)

const (
	// maxProbes is how many calls a RateLimit.Config may take before the
	// platform must refuse one for quota.
	maxProbes = 10
	// maxPages bounds a walk through the listing.
	maxPages = 10_000
	// garbageCursor is a cursor no plugin issued.
	garbageCursor = "plugintest:not-a-cursor:%%"
)

// CheckPerItemResults checks that a batch mixing known and unknown ids is
// answered per item: one result per id, the known ids as their products,
// the unknown ones as NOT_FOUND, never as an error of the whole call.
func CheckPerItemResults() Check {
	return Check{Name: "per_item_results", run: func(h *harness) {
		h.need(len(h.target.KnownIDs) > 0, "KnownIDs")
		h.need(len(h.target.UnknownIDs) > 0, "UnknownIDs")
		p := h.collector()
		unknown := map[string]bool{}
		var ids []string
		for i := range max(len(h.target.KnownIDs), len(h.target.UnknownIDs)) {
			if i < len(h.target.KnownIDs) {
				ids = append(ids, h.target.KnownIDs[i])
			}
			if i < len(h.target.UnknownIDs) {
				ids = append(ids, h.target.UnknownIDs[i])
				unknown[h.target.UnknownIDs[i]] = true
			}
		}
		ids = ids[:min(len(ids), p.Description().Limits.MaxBatch(sdk.OpFetchProducts, len(ids)))]
		resp, err := host.Call[*model.FetchProductsResponse](h.ctx, p, &model.FetchProductsRequest{Ids: ids})
		if err != nil {
			h.t.Fatalf("unknown ids must come back per item as NOT_FOUND, never fail the whole call; fetching %q failed as a whole: %s", ids, describeErr(err))
		}
		for i, id := range ids {
			r := resp.GetResults()[i]
			switch {
			case unknown[id] && itemKind(r) != sdk.KindNotFound:
				h.t.Errorf("unknown id %q (position %d) must come back as a per-item NOT_FOUND; it came back as %s", id, i, describeResult(r))
			case !unknown[id] && r.GetProduct() == nil:
				h.t.Errorf("known id %q (position %d) must come back as its product; it came back as %s", id, i, describeResult(r))
			case !unknown[id] && r.GetProduct().GetId() != id:
				h.t.Errorf("position %d asked for %q but the product returned has id %q; results answer the ids asked, in order", i, id, r.GetProduct().GetId())
			}
		}
	}}
}

// CheckBatchCaps checks every declared batch cap: a batch of exactly the
// cap is answered in full, and a batch of one more is refused as INVALID
// rather than truncated. Reads use ids that do not exist and writes
// target remote ids that do not exist, so the check changes nothing.
func CheckBatchCaps() Check {
	return Check{Name: "batch_caps", run: func(h *harness) {
		p := h.configured(h.target.config())
		d := p.Description()
		calls := map[sdk.Operation]batchCall{}
		if d.Has(sdk.CapabilityCollect) {
			calls[sdk.OpFetchProducts] = func(n int) (int, error) {
				resp, err := host.Call[*model.FetchProductsResponse](h.ctx, p, &model.FetchProductsRequest{Ids: h.target.distinctIDs(n)})
				return missingProducts(resp.GetResults()), err
			}
		}
		if h.resolvesURLs(p) {
			calls[sdk.OpResolveURLs] = func(n int) (int, error) {
				resp, err := host.Call[*model.ResolveURLsResponse](h.ctx, p, &model.ResolveURLsRequest{Urls: foreignURLs(n)})
				missing := 0
				for _, r := range resp.GetResults() {
					if c := r.GetError().GetCode(); c == model.CodeMissingResult || c == model.CodeEmptyResult {
						missing++
					}
				}
				return missing, err
			}
		}
		if d.Has(sdk.CapabilityPublish) {
			calls[sdk.OpGetRemoteProducts] = func(n int) (int, error) {
				resp, err := host.Call[*model.GetRemoteProductsResponse](h.ctx, p, &model.GetRemoteProductsRequest{RemoteIds: h.target.absentRemote(n)})
				return missingProducts(resp.GetResults()), err
			}
			for op, call := range h.writeCalls(p) {
				calls[op] = call
			}
		}
		for _, op := range sdk.Operations {
			call, ok := calls[op]
			if !ok {
				continue
			}
			limit := d.Limits.MaxBatch(op, 0)
			if limit == 0 {
				h.t.Errorf("%s declares no max batch, so its cap cannot be checked", op)
				continue
			}
			missing, err := call(limit)
			switch {
			case err != nil:
				h.t.Errorf("%s: a batch of exactly the cap (%d items) must be served; the call failed: %s", op, limit, describeErr(err))
			case missing > 0:
				h.t.Errorf("%s: a batch of exactly the cap (%d items) must be answered in full; %d items came back without a result", op, limit, missing)
			}
			missing, err = call(limit + 1)
			switch {
			case err == nil:
				h.t.Errorf("%s: a batch over the cap must be refused as INVALID, not truncated; a batch of %d items (cap %d) was accepted and %d came back without a result", op, limit+1, limit, missing)
			case !isError(err, sdk.KindInvalid, model.CodeBatchTooLarge):
				h.t.Errorf("%s: a batch over the cap (%d items, cap %d) must be refused as %s; it failed with %s", op, limit+1, limit, kindCode(sdk.KindInvalid, model.CodeBatchTooLarge), describeErr(err))
			}
		}
	}}
}

// batchCall makes one call of n items and counts the items the plugin did
// not answer.
type batchCall func(n int) (missing int, err error)

// CheckRateLimited checks that a call the platform refuses for quota
// fails as a whole with RATE_LIMITED, carrying the platform's retry-after
// when it gave one, and that calls work again once the platform recovers.
func CheckRateLimited() Check {
	return Check{Name: "rate_limited", run: func(h *harness) {
		h.need(h.target.RateLimit != nil, "RateLimit")
		rl := h.target.RateLimit
		cfg := h.target.config()
		if rl.Config != "" {
			cfg = rl.Config
		}
		p := h.configured(cfg)
		probes := maxProbes
		restore := func() {}
		if rl.Start != nil {
			restore = rl.Start(h.t)
			probes = 1
		}
		var err error
		var item *sdk.Error
		for range probes {
			if item, err = h.probe(p); err != nil {
				break
			}
		}
		restore()
		switch {
		case err == nil && item != nil && item.Kind == sdk.KindRateLimited:
			h.t.Fatalf("a refusal for quota concerns the whole call and must fail it as RATE_LIMITED; the plugin reported it per item: %s", item)
		case err == nil:
			h.t.Fatalf("with the platform refusing calls for quota, %d calls succeeded; check Target.RateLimit", probes)
		case !isKind(err, sdk.KindRateLimited):
			h.t.Fatalf("a call the platform refused for quota must fail as RATE_LIMITED so the host backs off; it failed with %s", describeErr(err))
		}
		e, _ := host.AsError(err)
		switch {
		case rl.Code != "" && e.Code != rl.Code:
			h.t.Errorf("the RATE_LIMITED error must carry the platform's code %q; it carries %q: %s", rl.Code, e.Code, e)
		case (rl.RetryAfter || rl.Wait > 0) && e.RetryAfter <= 0:
			h.t.Errorf("the platform said how long to wait but the RATE_LIMITED error carries no retry-after: %s", e)
		case rl.Wait > 0 && (e.RetryAfter < rl.Wait-rl.Slack || e.RetryAfter > rl.Wait+rl.Slack):
			h.t.Errorf("the platform asked to wait %s but the RATE_LIMITED error carries a retry-after of %s: %s", rl.Wait, e.RetryAfter, e)
		}
		if rl.Start != nil {
			if _, err := h.probe(p); err != nil {
				h.t.Errorf("after the platform recovered, a call still failed with %s; a plugin must not hold on to a rate limit, the host decides when to call", describeErr(err))
			}
		}
	}}
}

// CheckAuth checks that calls under a config with credentials the
// platform refuses fail as AUTH, with the platform's code when
// Target.AuthCode names it: a read and, for a collector, a listing.
// Configure itself may accept the config (it must not call the platform)
// or refuse it as AUTH.
func CheckAuth() Check {
	return Check{Name: "auth", run: func(h *harness) {
		h.need(h.target.AuthConfig != "", "AuthConfig")
		code := h.target.AuthCode
		p := h.start()
		if err := p.Configure(h.ctx, []byte(h.target.AuthConfig)); err != nil {
			if !isError(err, sdk.KindAuth, code) {
				h.t.Fatalf("the config with refused credentials must be accepted by Configure (which must not call the platform) or refused as %s; Configure failed with %s", kindCode(sdk.KindAuth, code), describeErr(err))
			}
			return
		}
		item, err := h.probe(p)
		switch {
		case err == nil && item != nil && item.Kind == sdk.KindAuth:
			h.t.Errorf("refused credentials concern the whole call and must fail it as AUTH; the plugin reported it per item: %s", item)
		case !isError(err, sdk.KindAuth, code):
			h.t.Errorf("a call with credentials the platform refuses must fail as %s so the operator is told; it returned %s", kindCode(sdk.KindAuth, code), describeErr(err))
		}
		if !p.Description().Has(sdk.CapabilityCollect) {
			return
		}
		_, err = host.Call[*model.ListProductsResponse](h.ctx, p, &model.ListProductsRequest{PageSize: int32(h.pageSize()), Scope: h.target.Scope})
		if !isError(err, sdk.KindAuth, code) {
			h.t.Errorf("listing with credentials the platform refuses must fail as %s; it returned %s", kindCode(sdk.KindAuth, code), describeErr(err))
		}
	}}
}

// probe makes one small read call: a fetch for a collector, a read of
// the store for a publisher. It returns the error of the whole call, or
// the first per-item error.
func (h *harness) probe(p *host.Plugin) (*sdk.Error, error) {
	var results []*model.ProductResult
	var err error
	if p.Description().Has(sdk.CapabilityCollect) {
		var resp *model.FetchProductsResponse
		resp, err = host.Call[*model.FetchProductsResponse](h.ctx, p, &model.FetchProductsRequest{Ids: h.target.distinctIDs(1)})
		results = resp.GetResults()
	} else {
		var resp *model.GetRemoteProductsResponse
		resp, err = host.Call[*model.GetRemoteProductsResponse](h.ctx, p, &model.GetRemoteProductsRequest{RemoteIds: h.target.absentRemote(1)})
		results = resp.GetResults()
	}
	for _, r := range results {
		if r.GetError() != nil {
			return host.ErrorFromModel(r.GetError()), err
		}
	}
	return nil, err
}

// CheckProducts checks that every product the plugin returns, for the
// known ids and for the first page of its listing, is valid in the
// canonical model by itself (the host would otherwise replace it with
// plugin_invalid_product), answers the id asked, and names its source.
func CheckProducts() Check {
	return Check{Name: "valid_products", run: func(h *harness) {
		h.need(len(h.target.KnownIDs) > 0, "KnownIDs")
		p := h.collector()
		limit := p.Description().Limits.MaxBatch(sdk.OpFetchProducts, 50)
		ids := slices.Clone(h.target.KnownIDs)
		known := len(ids)
		if page, err := host.Call[*model.ListProductsResponse](h.ctx, p, &model.ListProductsRequest{PageSize: int32(limit), Scope: h.target.Scope}); err == nil {
			for _, id := range page.GetIds() {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
		for start := 0; start < len(ids); start += limit {
			batch := ids[start:min(start+limit, len(ids))]
			resp, err := host.Call[*model.FetchProductsResponse](h.ctx, p, &model.FetchProductsRequest{Ids: batch})
			if err != nil {
				h.t.Fatalf("fetching %d known or listed ids failed as a whole: %s", len(batch), describeErr(err))
			}
			for i, r := range resp.GetResults() {
				h.checkProduct(batch[i], start+i < known, r)
			}
		}
	}}
}

func (h *harness) checkProduct(id string, known bool, r *model.ProductResult) {
	h.t.Helper()
	if e := r.GetError(); e != nil {
		if e.GetCode() == model.CodeInvalidProduct {
			h.t.Errorf("product %q breaks the canonical model, so the host replaced it with %s; map it so it passes sdk.Product.Validate", id, host.ErrorFromModel(e))
		} else if known {
			h.t.Errorf("known id %q must come back as its product; it came back as %s", id, describeResult(r))
		}
		return
	}
	if r.GetProduct() == nil {
		h.t.Errorf("id %q came back as %s", id, describeResult(r))
		return
	}
	prod := host.ProductFromModel(r.GetProduct())
	if err := prod.Validate(); err != nil {
		h.t.Errorf("product %q breaks the canonical model: %v", id, err)
	}
	if prod.ID != id {
		h.t.Errorf("asked for %q, the product returned has id %q", id, prod.ID)
	}
}

// CheckCursor checks that listing page by page visits every id once and
// ends, that a cursor saved mid-way resumes in a fresh plugin process
// with exactly the remaining ids, and that a cursor the plugin never
// issued is refused as INVALID.
func CheckCursor() Check {
	return Check{Name: "cursor_resume", run: func(h *harness) {
		p := h.collector()
		pages, cursors := h.walk(p, "")
		if len(pages) < 2 {
			h.t.Fatalf("the listing fit on one page of at most %d ids, so cursors cannot be checked; give the simulator more ids or set Target.PageSize lower", h.pageSize())
		}
		first := map[string]int{}
		for n, page := range pages {
			for _, id := range page {
				if was, dup := first[id]; dup {
					h.t.Errorf("id %q was listed twice, on pages %d and %d; a cursor must visit every id once", id, was+1, n+1)
				}
				first[id] = n
			}
		}
		for _, id := range h.target.KnownIDs {
			if _, ok := first[id]; !ok {
				h.t.Errorf("known id %q was never listed; the listing skipped it (or it is outside Target.Scope)", id)
			}
		}

		mid := len(pages) / 2
		want := slices.Concat(pages[mid:]...)
		restarted, _ := h.walk(h.collector(), cursors[mid-1])
		if got := slices.Concat(restarted...); !slices.Equal(got, want) {
			h.t.Errorf("restarting a fresh plugin from the cursor saved after page %d (%q) must list the remaining %d ids; it listed %d: %s", mid, cursors[mid-1], len(want), len(got), firstDifference(want, got))
		}

		resp, err := host.Call[*model.ListProductsResponse](h.ctx, p, &model.ListProductsRequest{Cursor: garbageCursor, PageSize: int32(h.pageSize()), Scope: h.target.Scope})
		switch {
		case err == nil:
			h.t.Errorf("a cursor the plugin never issued (%q) must be refused as INVALID; it was accepted and listed %d ids", garbageCursor, len(resp.GetIds()))
		case !isKind(err, sdk.KindInvalid):
			h.t.Errorf("a cursor the plugin never issued (%q) must be refused as INVALID; it failed with %s", garbageCursor, describeErr(err))
		}
	}}
}

// pageSize is the page size to ask for: 0 (the plugin's default) for a
// negative Target.PageSize.
func (h *harness) pageSize() int {
	switch {
	case h.target.PageSize > 0:
		return h.target.PageSize
	case h.target.PageSize < 0:
		return 0
	}
	return defaultPageSize
}

// walk lists from cursor to the end, returning each page's ids and the
// cursor that followed it.
func (h *harness) walk(p *host.Plugin, cursor string) (pages [][]string, next []string) {
	h.t.Helper()
	seen := map[string]int{}
	for len(pages) < maxPages {
		resp, err := host.Call[*model.ListProductsResponse](h.ctx, p, &model.ListProductsRequest{Cursor: cursor, PageSize: int32(h.pageSize()), Scope: h.target.Scope})
		if err != nil {
			h.t.Fatalf("listing page %d (cursor %q) failed: %s", len(pages)+1, cursor, describeErr(err))
		}
		pages = append(pages, resp.GetIds())
		cursor = resp.GetNextCursor()
		next = append(next, cursor)
		if cursor == "" {
			return pages, next
		}
		if was, loop := seen[cursor]; loop {
			h.t.Fatalf("the cursor after page %d (%q) is the one that followed page %d: the listing loops and would never end", len(pages), cursor, was)
		}
		seen[cursor] = len(pages)
	}
	h.t.Fatalf("the listing did not end after %d pages", maxPages)
	return nil, nil
}

func firstDifference(want, got []string) string {
	for i := range max(len(want), len(got)) {
		w, g := "(end)", "(end)"
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			return fmt.Sprintf("at position %d want %q, got %q", i, w, g)
		}
	}
	return "same ids"
}

// itemKind is the kind of a per-item error, KindUnknown for a product.
func itemKind(r *model.ProductResult) sdk.ErrorKind {
	if e := r.GetError(); e != nil {
		return host.ErrorFromModel(e).Kind
	}
	return sdk.KindUnknown
}

// describeResult renders one result for a failure message, naming the
// host's stand-ins for results the plugin got wrong.
func describeResult(r *model.ProductResult) string {
	e := r.GetError()
	switch {
	case e.GetCode() == model.CodeMissingResult:
		return "no result at all (the host filled in " + model.CodeMissingResult + ")"
	case e.GetCode() == model.CodeEmptyResult:
		return "neither a product nor an error (the host filled in " + model.CodeEmptyResult + ")"
	case e != nil:
		return "the error " + host.ErrorFromModel(e).Error()
	}
	return fmt.Sprintf("the product %q", r.GetProduct().GetId())
}

// missingProducts counts results the host had to make up because the
// plugin sent none for the id.
func missingProducts(rs []*model.ProductResult) int {
	n := 0
	for _, r := range rs {
		if c := r.GetError().GetCode(); c == model.CodeMissingResult || c == model.CodeEmptyResult {
			n++
		}
	}
	return n
}

// CheckResolveURLs checks, for a plugin that implements sdk.URLResolver,
// that each of Target.ProductURLs resolves to its id and that a URL of no
// product of the platform fails alone, per item, as INVALID.
func CheckResolveURLs() Check {
	return Check{Name: "resolve_urls", run: func(h *harness) {
		p := h.collector()
		if !h.resolvesURLs(p) {
			h.t.Skip("the plugin does not resolve URLs")
		}
		h.need(len(h.target.ProductURLs) > 0, "ProductURLs")
		urls := slices.Sorted(maps.Keys(h.target.ProductURLs))
		foreign := map[string]bool{}
		for _, u := range append(foreignURLs(1), h.target.ForeignURLs...) {
			foreign[u] = true
			urls = append(urls, u)
		}
		before := h.requests()
		resp, err := host.Call[*model.ResolveURLsResponse](h.ctx, p, &model.ResolveURLsRequest{Urls: urls})
		if err != nil {
			h.t.Fatalf("a URL of no product must fail alone, per item; resolving %d URLs failed as a whole: %s", len(urls), describeErr(err))
		}
		for i, r := range resp.GetResults() {
			want := h.target.ProductURLs[urls[i]]
			switch {
			case foreign[urls[i]] && (r.GetError() == nil || host.ErrorFromModel(r.GetError()).Kind != sdk.KindInvalid):
				h.t.Errorf("%s names no product of the platform and must resolve to a per-item INVALID; it resolved to id %q, error %v", urls[i], r.GetId(), host.ErrorFromModel(r.GetError()))
			case !foreign[urls[i]] && r.GetId() != want:
				h.t.Errorf("%s must resolve to id %q; it resolved to id %q, error %v", urls[i], want, r.GetId(), host.ErrorFromModel(r.GetError()))
			}
		}
		if n := h.requests() - before; n != 0 {
			h.t.Errorf("resolving URLs made %d requests to the platform; a URL names its id without a call", n)
		}
	}}
}

// resolvesURLs reports whether the plugin serves ResolveURLs.
func (h *harness) resolvesURLs(p *host.Plugin) bool {
	_, err := host.Call[*model.ResolveURLsResponse](h.ctx, p, &model.ResolveURLsRequest{})
	e, ok := host.AsError(err)
	return !ok || e.Code != "plugin_unimplemented"
}

// CheckExpected checks every id of Target.Expect, fetched in batches of
// the declared cap, against the platform's own account of it: each
// product answers the id asked, and Expect.Check finds no difference between what came
// back and what the platform holds.
func CheckExpected() Check {
	return Check{Name: "expected_products", run: func(h *harness) {
		x := h.target.Expect
		h.need(x != nil && x.Check != nil, "Expect.Check")
		ids := x.IDs
		if len(ids) == 0 {
			ids = slices.Concat(h.target.KnownIDs, h.target.UnknownIDs)
		}
		h.need(len(ids) > 0, "Expect.IDs (or KnownIDs)")
		p := h.collector()
		limit := p.Description().Limits.MaxBatch(sdk.OpFetchProducts, 50)
		for start := 0; start < len(ids); start += limit {
			batch := ids[start:min(start+limit, len(ids))]
			resp, err := host.Call[*model.FetchProductsResponse](h.ctx, p, &model.FetchProductsRequest{Ids: batch})
			if err != nil {
				h.t.Fatalf("fetching %q failed as a whole: %s", batch, describeErr(err))
			}
			for i, r := range resp.GetResults() {
				if got := r.GetProduct().GetId(); got != "" && got != batch[i] {
					h.t.Errorf("asked for %q, the product returned has id %q", batch[i], got)
				}
				var perr *sdk.Error
				if r.GetError() != nil {
					perr = host.ErrorFromModel(r.GetError())
				}
				if err := x.Check(batch[i], host.ProductFromModel(r.GetProduct()), perr); err != nil {
					h.t.Errorf("%s: %v", batch[i], err)
				}
			}
		}
	}}
}

// CheckListing checks that walking the listing under Target.Scope lists
// exactly Target.Listed, in order, in as many pages as PageSize makes (an
// empty listing is one empty page; with the plugin's default page size,
// in any number).
func CheckListing() Check {
	return Check{Name: "listing", run: func(h *harness) {
		h.need(h.target.Listed != nil, "Listed")
		pages, _ := h.walk(h.collector(), "")
		want := h.target.Listed
		if got := slices.Concat(pages...); !slices.Equal(got, want) {
			h.t.Errorf("the listing under scope %q must list the %d ids of Target.Listed, in order; it listed %d: %s", h.target.Scope, len(want), len(got), firstDifference(want, got))
		}
		size := h.pageSize()
		if n := max((len(want)+size-1)/max(size, 1), 1); size > 0 && len(pages) != n {
			h.t.Errorf("%d ids at %d a page take %d pages; the listing took %d", len(want), size, n, len(pages))
		}
	}}
}
