package host

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
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
	resp, err := Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: ids})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id   string
		ok   bool
		kind model.ErrorKind
		code string
	}{
		{"a", true, 0, ""},
		{"b", true, 0, ""},
		{"missing", false, model.ErrorKind_ERROR_KIND_UNAVAILABLE, model.CodeMissingResult},
		{"empty", false, model.ErrorKind_ERROR_KIND_UNAVAILABLE, model.CodeEmptyResult},
		{"neg", false, model.ErrorKind_ERROR_KIND_INVALID, model.CodeInvalidProduct},
		{"gone", false, model.ErrorKind_ERROR_KIND_NOT_FOUND, "ITEM_OFF_SHELF"},
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
	_, err := Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: []string{"auth"}})
	var e *model.Error
	if !errors.As(err, &e) || e.Kind != model.KindAuth || e.Code != "27" {
		t.Fatalf("got %v, want AUTH 27", err)
	}
	_, err = Call[*model.UpsertProductsResponse](context.Background(), p, &model.UpsertProductsRequest{})
	if !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: "plugin_unimplemented"}) {
		t.Errorf("publish on a collector: got %v", err)
	}
	ids := make([]string, 11)
	_, err = Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: ids})
	if !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: "batch_too_large"}) {
		t.Errorf("oversized batch: got %v", err)
	}
}

func TestHostRefusesACursorLoop(t *testing.T) {
	p := start(t, &sloppy{})
	if _, err := Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{Cursor: "c"}); err != nil {
		t.Fatalf("a new cursor is fine: %v", err)
	}
	_, err := Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{Cursor: "loop"})
	if !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: "plugin_cursor_loop"}) {
		t.Errorf("a cursor that returns itself: got %v, want INVALID plugin_cursor_loop", err)
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
	req := &model.FetchProductsRequest{Ids: []string{"a", "missing", "neg", "gone"}}
	a, errA := Call[*model.FetchProductsResponse](ctx, wire, req)
	b, errB := Call[*model.FetchProductsResponse](ctx, local, req)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	for i := range a.Results {
		if !proto.Equal(a.Results[i], b.Results[i]) {
			t.Errorf("result %d differs:\n wire %v\nlocal %v", i, a.Results[i], b.Results[i])
		}
	}
	_, err = Call[*model.FetchProductsResponse](ctx, local, &model.FetchProductsRequest{Ids: []string{"auth"}})
	if !errors.Is(err, &model.Error{Kind: model.KindAuth, Code: "27"}) {
		t.Errorf("typed error in-process: %v", err)
	}
}

func TestFloodGateReportsDropsOncePerInterval(t *testing.T) {
	var lines []string
	h := &captureHandler{lines: &lines}
	log := newHCLogger(slog.New(h), new(redactor)).Named("taobao")
	gate := log.(*slogLogger).flood
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gate.now = func() time.Time { return now }
	for i := range logBurst + 50 {
		log.Info("line", "n", i)
	}
	if len(lines) != logBurst {
		t.Fatalf("%d lines logged from a burst of %d, want the gate's burst %d", len(lines), logBurst+50, logBurst)
	}
	// The plugin goes on at 1000 lines a second for 25 s: the agent logs
	// the gate's 100 a second and one report per 10 s, not one per line
	// let through.
	lines = lines[:0]
	for range 25_000 {
		now = now.Add(time.Millisecond)
		log.Info("flood")
	}
	var reports []string
	for _, l := range lines {
		if strings.Contains(l, "dropped") {
			reports = append(reports, l)
		}
	}
	if len(reports) != 2 || len(lines)-len(reports) > 25*logLinesPerSecond+1 {
		t.Fatalf("%d lines and %d reports in 25 s: %q", len(lines)-len(reports), len(reports), reports)
	}
	if !strings.HasPrefix(reports[0], "plugin taobao: 9050 log lines dropped in the last 10s") {
		t.Errorf("first report: %q", reports[0])
	}
}

func TestLogLinesAreRedacted(t *testing.T) {
	var lines []string
	red := new(redactor)
	red.set((&helperPlugin{}).Describe().Config, configJSON("s3cr3t-session"))
	log := newHCLogger(slog.New(&captureHandler{lines: &lines}), red).With("req", "session=s3cr3t-session")
	log.Error("call failed: s3cr3t-session", "error", errors.New("echo s3cr3t-session"), "body", map[string]any{"session": "s3cr3t-session"}, "n", 1)
	if len(lines) != 1 || strings.Contains(lines[0], "s3cr3t") || strings.Count(lines[0], Redacted) != 4 {
		t.Errorf("logged %q", lines)
	}
}

type captureHandler struct {
	lines *[]string
	ch    chan<- string
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	if h.ch != nil {
		select {
		case h.ch <- line:
		default:
		}
		return nil
	}
	*h.lines = append(*h.lines, line)
	return nil
}
func (h *captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &attrsHandler{h, as}
}
func (h *captureHandler) WithGroup(string) slog.Handler { return h }

// attrsHandler keeps the attributes a logger was given With.
type attrsHandler struct {
	*captureHandler
	attrs []slog.Attr
}

func (h *attrsHandler) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(h.attrs...)
	return h.captureHandler.Handle(ctx, r)
}
