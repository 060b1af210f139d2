package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

// fakeSync records what the sync routes hand it.
type fakeSync struct {
	mu       sync.Mutex
	runs     []client.SyncRunRequest
	resolved []client.ConflictResolution
}

func (f *fakeSync) SyncPipelines(context.Context) ([]client.SyncPipeline, error) {
	return []client.SyncPipeline{{Name: "tb-shop", Source: "taobao", Target: "shop", Active: &client.Job{ID: "J1", Total: 5, Succeeded: 2}}}, nil
}

func (f *fakeSync) RunSync(_ context.Context, name string, req client.SyncRunRequest) (*client.Job, error) {
	if name != "tb-shop" {
		return nil, api.NotFound(client.CodeUnknownPipeline, "no sync block is named "+name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs = append(f.runs, req)
	return &client.Job{ID: "J2", Kind: client.JobKindSync, Total: 3}, nil
}

func (f *fakeSync) Bindings(_ context.Context, platform, id string) ([]client.Binding, error) {
	return []client.Binding{{SourcePlatform: platform, SourceID: id, Target: "shop", RemoteID: "r-1"}}, nil
}

func (f *fakeSync) History(context.Context, string, string) ([]client.Decision, error) {
	return nil, nil
}

func (f *fakeSync) Conflicts(_ context.Context, state string) ([]client.Conflict, error) {
	return []client.Conflict{{ID: "C1", State: "open"}}, nil
}

func (f *fakeSync) Conflict(_ context.Context, id string) (*client.Conflict, error) {
	if id != "C1" {
		return nil, api.NotFound(client.CodeConflictNotFound, "no conflict "+id)
	}
	return &client.Conflict{ID: "C1", State: "open"}, nil
}

func (f *fakeSync) ResolveConflict(_ context.Context, id string, r client.ConflictResolution) (*client.Conflict, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resolved = append(f.resolved, r)
	return &client.Conflict{ID: id, State: "resolved", Take: r.Take, Value: r.Value}, nil
}

func TestSyncNotEnabled(t *testing.T) {
	srv, _ := newServer(t)
	get(t, srv, "/v1/sync").wantError(t, http.StatusNotFound, client.CodeNotFound, "sync is not enabled")
	get(t, srv, "/v1/conflicts").wantError(t, http.StatusNotFound, client.CodeNotFound, "sync is not enabled")
}

func TestSyncRoutes(t *testing.T) {
	fake := &fakeSync{}
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Sync: fake})
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	list, err := c.Sync().List(ctx)
	if err != nil || len(list) != 1 || list[0].Active.Pending != 3 {
		t.Fatalf("list %+v %v", list, err)
	}
	if j, err := c.Sync().Run(ctx, "tb-shop", client.SyncRunRequest{IDs: []string{"1", "2"}}); err != nil || j.Pending != 3 {
		t.Fatalf("run %+v %v", j, err)
	}
	var apiErr *client.APIError
	if _, err := c.Sync().Run(ctx, "nope", client.SyncRunRequest{}); !errors.As(err, &apiErr) || apiErr.Code != client.CodeUnknownPipeline {
		t.Fatalf("unknown pipeline: %v", err)
	}
	call(t, srv, http.MethodPost, "/v1/sync/tb-shop/run", strings.NewReader(`{"ids": ["a b"]}`), nil).
		wantError(t, http.StatusBadRequest, client.CodeInvalidRequest, "whitespace")
	// An empty body runs every changed product.
	call(t, srv, http.MethodPost, "/v1/sync/tb-shop/run", nil, nil)
	if len(fake.runs) != 2 || len(fake.runs[0].IDs) != 2 || len(fake.runs[1].IDs) != 0 {
		t.Fatalf("runs %+v", fake.runs)
	}
	if bs, err := c.Sync().Bindings(ctx, "taobao", "1"); err != nil || len(bs) != 1 || bs[0].SourceID != "1" {
		t.Fatalf("bindings %+v %v", bs, err)
	}
	get(t, srv, "/v1/bindings?platform=taobao").wantError(t, http.StatusBadRequest, client.CodeInvalidRequest, "platform=")
	if h, err := c.Sync().History(ctx, "taobao", "1"); err != nil || h == nil {
		t.Fatalf("history %+v %v (want an empty list, not null)", h, err)
	}

	if cs, err := c.Conflicts().List(ctx, "open"); err != nil || len(cs) != 1 {
		t.Fatalf("conflicts %+v %v", cs, err)
	}
	get(t, srv, "/v1/conflicts?state=closed").wantError(t, http.StatusBadRequest, client.CodeInvalidQuery)
	if _, err := c.Conflicts().Get(ctx, "C9"); !errors.As(err, &apiErr) || apiErr.Code != client.CodeConflictNotFound {
		t.Fatalf("unknown conflict: %v", err)
	}
	for body, want := range map[string]string{
		`{"take": "mine"}`:                 `"take" must be`,
		`{"take": "value"}`:                `needs a "value"`,
		`{"take": "source", "value": "1"}`: `goes with take "value" only`,
	} {
		call(t, srv, http.MethodPost, "/v1/conflicts/C1/resolve", strings.NewReader(body), nil).
			wantError(t, http.StatusBadRequest, client.CodeInvalidRequest, want)
	}
	x, err := c.Conflicts().Resolve(ctx, "C1", client.ConflictResolution{Take: "value", Value: "12.99 USD"})
	if err != nil || x.State != "resolved" || len(fake.resolved) != 1 || fake.resolved[0].Value != "12.99 USD" {
		t.Fatalf("resolve %+v %v; backend saw %+v", x, err, fake.resolved)
	}
}
