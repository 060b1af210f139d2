package host

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
	"google.golang.org/protobuf/proto"
)

// sloppy is a collector whose answers are wrong in the ways a buggy plugin
// can be wrong; the host must contain every one of them per item.
type sloppy struct{ configured string }

func (s *sloppy) Describe() sdk.Description {
	return sdk.Description{
		Name: "sloppy", Version: "0.0.1",
		Limits: sdk.Limits{Rate: 5, Operations: map[sdk.Operation]sdk.OperationLimit{sdk.OpFetchProducts: {MaxBatch: 10}}},
		Config: sdk.ConfigSpec{{Name: "region", Type: sdk.FieldString, Default: "CN"}},
	}
}

func (s *sloppy) Configure(_ context.Context, c *sdk.Config) error {
	s.configured = c.String("region")
	return nil
}

func good(id string) *sdk.Product {
	return &sdk.Product{ID: id, Source: "sloppy", Title: map[string]string{"en": "ok"},
		Variants: []sdk.Variant{{SKU: id, Price: sdk.Money{Amount: 100, Currency: "CNY"}, Stock: 1}}}
}

func (s *sloppy) FetchProducts(_ context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	if req.IDs[0] == "auth" {
		return nil, sdk.Auth("27", "Invalid session")
	}
	bad := good("neg")
	bad.Variants[0].Stock = -3
	// Out of order, one id left out ("missing"), one empty result, one
	// invalid product, one typed item error, and an id nobody asked for.
	return &sdk.FetchProductsResponse{Results: []sdk.ProductResult{
		{ID: "b", Product: good("b")},
		{ID: "stranger", Product: good("stranger")},
		{ID: "neg", Product: bad},
		{ID: "empty"},
		{ID: "gone", Err: sdk.NotFound("ITEM_OFF_SHELF", "off-shelf")},
		{ID: "a", Product: good("a")},
	}}, nil
}

func (s *sloppy) ListProducts(_ context.Context, req *sdk.ListProductsRequest) (*sdk.ListProductsResponse, error) {
	next := req.Cursor + "x"
	if req.Cursor == "loop" {
		next = "loop"
	}
	return &sdk.ListProductsResponse{IDs: []string{"a"}, NextCursor: next}, nil
}

func start(t *testing.T, impl sdk.Plugin) *Plugin {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rc, closed, err := sdk.ServeTest(ctx, impl)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Launch(context.Background(), Options{Reattach: rc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill(); cancel(); <-closed })
	return p
}

func TestHostContainsABadAnswerPerItem(t *testing.T) {
	impl := &sloppy{}
	p := start(t, impl)
	if err := p.Configure(context.Background(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if impl.configured != "CN" {
		t.Errorf("default not applied before Configure: %q", impl.configured)
	}
	ids := []string{"a", "b", "missing", "empty", "neg", "gone"}
	resp, err := p.FetchProducts(context.Background(), &pluginv1.FetchProductsRequest{Ids: ids})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id   string
		ok   bool
		kind pluginv1.ErrorKind
		code string
	}{
		{"a", true, 0, ""},
		{"b", true, 0, ""},
		{"missing", false, pluginv1.ErrorKind_ERROR_KIND_UNAVAILABLE, CodeMissingResult},
		{"empty", false, pluginv1.ErrorKind_ERROR_KIND_UNAVAILABLE, CodeEmptyResult},
		{"neg", false, pluginv1.ErrorKind_ERROR_KIND_INVALID, CodeInvalidProduct},
		{"gone", false, pluginv1.ErrorKind_ERROR_KIND_NOT_FOUND, "ITEM_OFF_SHELF"},
	}
	if len(resp.Results) != len(want) {
		t.Fatalf("%d results for %d ids", len(resp.Results), len(ids))
	}
	for i, w := range want {
		r := resp.Results[i]
		if r.GetId() != w.id {
			t.Errorf("result %d is for %q, want %q", i, r.GetId(), w.id)
		}
		if w.ok != (r.GetProduct() != nil) || r.GetError().GetKind() != w.kind || r.GetError().GetCode() != w.code {
			t.Errorf("result %q: product=%v error=%v, want ok=%v kind=%v code=%q", w.id, r.GetProduct() != nil, r.GetError(), w.ok, w.kind, w.code)
		}
	}
}

func TestHostReturnsTypedCallErrors(t *testing.T) {
	p := start(t, &sloppy{})
	_, err := p.FetchProducts(context.Background(), &pluginv1.FetchProductsRequest{Ids: []string{"auth"}})
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindAuth || e.Code != "27" {
		t.Fatalf("got %v, want AUTH 27", err)
	}
	_, err = p.UpsertProducts(context.Background(), &pluginv1.UpsertProductsRequest{})
	if !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid, Code: "plugin_unimplemented"}) {
		t.Errorf("publish on a collector: got %v", err)
	}
	ids := make([]string, 11)
	_, err = p.FetchProducts(context.Background(), &pluginv1.FetchProductsRequest{Ids: ids})
	if !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid, Code: "batch_too_large"}) {
		t.Errorf("oversized batch: got %v", err)
	}
}

func TestHostRefusesACursorLoop(t *testing.T) {
	p := start(t, &sloppy{})
	if _, err := p.ListProducts(context.Background(), &pluginv1.ListProductsRequest{Cursor: "c"}); err != nil {
		t.Fatalf("a new cursor is fine: %v", err)
	}
	_, err := p.ListProducts(context.Background(), &pluginv1.ListProductsRequest{Cursor: "loop"})
	if !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid, Code: "plugin_cursor_loop"}) {
		t.Errorf("a cursor that returns itself: got %v, want INVALID plugin_cursor_loop", err)
	}
}

func TestRealignWrites(t *testing.T) {
	keys := []string{"k1", "k2", "k3"}
	for name, tc := range map[string]struct {
		got  []*pluginv1.WriteResult
		want []string // remote ids; "" means the missing-result error
	}{
		"echoed keys out of order": {
			got:  []*pluginv1.WriteResult{{IdempotencyKey: "k3", RemoteId: "r3"}, {IdempotencyKey: "k1", RemoteId: "r1"}, {IdempotencyKey: "k2", RemoteId: "r2"}},
			want: []string{"r1", "r2", "r3"},
		},
		"positional": {
			got:  []*pluginv1.WriteResult{{RemoteId: "r1"}, {RemoteId: "r2"}, {RemoteId: "r3"}},
			want: []string{"r1", "r2", "r3"},
		},
		"one left out": {
			got:  []*pluginv1.WriteResult{{IdempotencyKey: "k1", RemoteId: "r1"}, {IdempotencyKey: "k3", RemoteId: "r3"}},
			want: []string{"r1", "", "r3"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			out := realignWrites(keys, tc.got)
			for i, w := range tc.want {
				if out[i].GetIdempotencyKey() != keys[i] {
					t.Errorf("result %d has key %q", i, out[i].GetIdempotencyKey())
				}
				if w == "" {
					if out[i].GetError().GetCode() != CodeMissingResult {
						t.Errorf("result %d: %v, want missing-result error", i, out[i])
					}
				} else if out[i].GetRemoteId() != w {
					t.Errorf("result %d: remote id %q, want %q", i, out[i].GetRemoteId(), w)
				}
			}
		})
	}
}

func TestInProcessAnswersAsTheWireDoes(t *testing.T) {
	ctx := context.Background()
	wire := start(t, &sloppy{})
	local, err := InProcess(ctx, &sloppy{})
	if err != nil {
		t.Fatal(err)
	}
	if local.Description().Name != "sloppy" || local.Exited() || local.Ping() != nil {
		t.Fatalf("in-process plugin: %+v", local.Description())
	}
	req := &pluginv1.FetchProductsRequest{Ids: []string{"a", "missing", "neg", "gone"}}
	a, errA := wire.FetchProducts(ctx, req)
	b, errB := local.FetchProducts(ctx, req)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	for i := range a.Results {
		if !proto.Equal(a.Results[i], b.Results[i]) {
			t.Errorf("result %d differs:\n wire %v\nlocal %v", i, a.Results[i], b.Results[i])
		}
	}
	_, err = local.FetchProducts(ctx, &pluginv1.FetchProductsRequest{Ids: []string{"auth"}})
	if !errors.Is(err, &sdk.Error{Kind: sdk.KindAuth, Code: "27"}) {
		t.Errorf("typed error in-process: %v", err)
	}
}

func TestFloodGateDropsAndCounts(t *testing.T) {
	var lines []string
	h := &captureHandler{lines: &lines}
	log := newHCLogger(slog.New(h)).Named("plugin")
	gate := log.(*slogLogger).flood
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gate.now = func() time.Time { return now }
	for i := range logBurst + 50 {
		log.Info("line", "n", i)
	}
	if len(lines) != logBurst {
		t.Fatalf("%d lines logged from a burst of %d, want the gate's burst %d", len(lines), logBurst+50, logBurst)
	}
	// A tenth of a second later ten lines' worth of tokens are back: the
	// next line goes through after a report of what was dropped.
	now = now.Add(100 * time.Millisecond)
	log.Info("after")
	if n := len(lines); n != logBurst+2 || !strings.Contains(lines[n-2], "dropped=50") || !strings.Contains(lines[n-1], "after") {
		t.Errorf("after the flood: %q", lines[logBurst:])
	}
}

type captureHandler struct{ lines *[]string }

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	*h.lines = append(*h.lines, line)
	return nil
}
func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }
