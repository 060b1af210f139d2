package sdk

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Serve runs p as a plugin process: it answers go-plugin's handshake on
// standard output, serves the platform protocol over gRPC with mutual TLS
// negotiated by the host, and returns only when the host is done with it.
// Call it first thing in main; nothing may be printed to standard output
// before it.
//
// Serve also makes the plugin exit when its host dies, so that a killed
// agent never leaves plugin processes behind: it watches its parent
// process and exits when it is re-parented. (On Linux the host also sets
// the parent-death signal.)
func Serve(p Plugin) {
	if err := checkPlugin(p); err != nil {
		fmt.Fprintf(stderr, "marketsync plugin: %v\n", err)
		os.Exit(1)
	}
	go watchParent(os.Getppid(), time.Second, func() { os.Exit(2) })
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(p),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "plugin", Level: hclog.Info, Output: stderr, JSONFormat: true,
		}),
	})
}

// ServeTest serves p in-process for tests, the way go-plugin's reattach
// support intends: it returns the reattach config a host uses instead of
// launching a binary, and stops serving when ctx ends.
func ServeTest(ctx context.Context, p Plugin) (*plugin.ReattachConfig, <-chan struct{}, error) {
	if err := checkPlugin(p); err != nil {
		return nil, nil, err
	}
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(p),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           hclog.NewNullLogger(),
		Test:             &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed},
	})
	select {
	case rc := <-reattach:
		return rc, closed, nil
	case <-time.After(10 * time.Second):
		return nil, nil, fmt.Errorf("plugin did not start serving within 10s")
	}
}

// checkPlugin refuses a plugin whose description is unusable, so an author
// learns at start-up rather than from a host's confusing error.
func checkPlugin(p Plugin) error {
	d := describe(p)
	if d.Name == "" {
		return fmt.Errorf("Describe returned no name")
	}
	if len(d.Capabilities) == 0 {
		return fmt.Errorf("plugin %s implements neither sdk.Collector nor sdk.Publisher", d.Name)
	}
	if err := d.Config.Validate(); err != nil {
		return fmt.Errorf("plugin %s: %w", d.Name, err)
	}
	return nil
}

// describe returns p's description with the capabilities it implements.
func describe(p Plugin) Description {
	d := p.Describe()
	d.Capabilities = nil
	if _, ok := p.(Collector); ok {
		d.Capabilities = append(d.Capabilities, CapabilityCollect)
	}
	if _, ok := p.(Publisher); ok {
		d.Capabilities = append(d.Capabilities, CapabilityPublish)
	}
	return d
}

func watchParent(ppid int, every time.Duration, exit func()) {
	if ppid <= 1 {
		return // started by init or a test harness: nothing to watch
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != ppid {
			exit()
			return
		}
	}
}

// server is the gRPC face of a Plugin: it converts between the protocol
// and the SDK's types, enforces the plugin's own declared batch caps and
// turns typed errors into status details.
type server struct {
	pluginv1.UnimplementedPlatformServer
	impl Plugin
	desc Description
}

// NewServer returns the platform service for p, as Serve registers it:
// the protocol side of a plugin without a process or a connection. Hosts
// use it to run a plugin in-process (host.InProcess) in tests and
// benchmarks that must not touch the network.
func NewServer(p Plugin) pluginv1.PlatformServer { return &server{impl: p, desc: describe(p)} }

func (s *server) Describe(context.Context, *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	resp, err := DescriptionToProto(s.desc)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return resp, nil
}

func (s *server) Configure(ctx context.Context, req *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	cfg, err := ParseConfigJSON(s.desc.Config, req.GetConfigJson())
	if err != nil {
		return nil, ToStatus(Invalid("config", err.Error()))
	}
	if err := s.impl.Configure(ctx, cfg); err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.ConfigureResponse{}, nil
}

// checkBatch refuses a request larger than the plugin's declared cap: the
// host never sends one, and a plugin must not silently split or truncate.
func (s *server) checkBatch(op Operation, n int) error {
	if max := s.desc.Limits.MaxBatch(op, 0); max > 0 && n > max {
		return ToStatus(Invalid("batch_too_large", fmt.Sprintf("%s takes at most %d items, got %d", op, max, n)))
	}
	return nil
}

func (s *server) collector() (Collector, error) {
	c, ok := s.impl.(Collector)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "plugin %s cannot collect", s.desc.Name)
	}
	return c, nil
}

func (s *server) publisher() (Publisher, error) {
	p, ok := s.impl.(Publisher)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "plugin %s cannot publish", s.desc.Name)
	}
	return p, nil
}

func (s *server) FetchProducts(ctx context.Context, req *pluginv1.FetchProductsRequest) (*pluginv1.FetchProductsResponse, error) {
	c, err := s.collector()
	if err != nil {
		return nil, err
	}
	if err := s.checkBatch(OpFetchProducts, len(req.GetIds())); err != nil {
		return nil, err
	}
	resp, err := c.FetchProducts(ctx, &FetchProductsRequest{IDs: req.GetIds(), Locales: req.GetLocales(), Currency: req.GetCurrency()})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.FetchProductsResponse{Results: productResultsToProto(resp.Results), Quota: QuotaToProto(resp.Quota)}, nil
}

func (s *server) ListProducts(ctx context.Context, req *pluginv1.ListProductsRequest) (*pluginv1.ListProductsResponse, error) {
	c, err := s.collector()
	if err != nil {
		return nil, err
	}
	resp, err := c.ListProducts(ctx, &ListProductsRequest{Cursor: req.GetCursor(), PageSize: int(req.GetPageSize()), Scope: req.GetScope()})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.ListProductsResponse{Ids: resp.IDs, NextCursor: resp.NextCursor, Quota: QuotaToProto(resp.Quota)}, nil
}

func (s *server) ResolveURLs(ctx context.Context, req *pluginv1.ResolveURLsRequest) (*pluginv1.ResolveURLsResponse, error) {
	r, ok := s.impl.(URLResolver)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "plugin %s does not resolve URLs", s.desc.Name)
	}
	if err := s.checkBatch(OpResolveURLs, len(req.GetUrls())); err != nil {
		return nil, err
	}
	resp, err := r.ResolveURLs(ctx, &ResolveURLsRequest{URLs: req.GetUrls()})
	if err != nil {
		return nil, ToStatus(err)
	}
	out := &pluginv1.ResolveURLsResponse{Results: make([]*pluginv1.ResolveResult, len(resp.Results))}
	for i, r := range resp.Results {
		out.Results[i] = &pluginv1.ResolveResult{Url: r.URL, Id: r.ID, Error: ErrorToProto(r.Err)}
	}
	return out, nil
}

func (s *server) UpsertProducts(ctx context.Context, req *pluginv1.UpsertProductsRequest) (*pluginv1.UpsertProductsResponse, error) {
	p, err := s.publisher()
	if err != nil {
		return nil, err
	}
	if err := s.checkBatch(OpUpsertProducts, len(req.GetItems())); err != nil {
		return nil, err
	}
	in := &UpsertProductsRequest{FencingToken: req.GetFencingToken(), Items: make([]UpsertItem, len(req.GetItems()))}
	for i, it := range req.GetItems() {
		in.Items[i] = UpsertItem{IdempotencyKey: it.GetIdempotencyKey(), RemoteID: it.GetRemoteId()}
		if prod := ProductFromProto(it.GetProduct()); prod != nil {
			in.Items[i].Product = *prod
		}
	}
	resp, err := p.UpsertProducts(ctx, in)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.UpsertProductsResponse{Results: writeResultsToProto(resp.Results), Quota: QuotaToProto(resp.Quota)}, nil
}

func (s *server) SetInventory(ctx context.Context, req *pluginv1.SetInventoryRequest) (*pluginv1.SetInventoryResponse, error) {
	p, err := s.publisher()
	if err != nil {
		return nil, err
	}
	if err := s.checkBatch(OpSetInventory, len(req.GetItems())); err != nil {
		return nil, err
	}
	in := &SetInventoryRequest{FencingToken: req.GetFencingToken(), Items: make([]InventoryItem, len(req.GetItems()))}
	for i, it := range req.GetItems() {
		in.Items[i] = InventoryItem{IdempotencyKey: it.GetIdempotencyKey(), RemoteID: it.GetRemoteId(), SKU: it.GetSku(), Stock: it.GetStock()}
	}
	resp, err := p.SetInventory(ctx, in)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.SetInventoryResponse{Results: writeResultsToProto(resp.Results), Quota: QuotaToProto(resp.Quota)}, nil
}

func (s *server) SetPrices(ctx context.Context, req *pluginv1.SetPricesRequest) (*pluginv1.SetPricesResponse, error) {
	p, err := s.publisher()
	if err != nil {
		return nil, err
	}
	if err := s.checkBatch(OpSetPrices, len(req.GetItems())); err != nil {
		return nil, err
	}
	in := &SetPricesRequest{FencingToken: req.GetFencingToken(), Items: make([]PriceItem, len(req.GetItems()))}
	for i, it := range req.GetItems() {
		in.Items[i] = PriceItem{IdempotencyKey: it.GetIdempotencyKey(), RemoteID: it.GetRemoteId(), SKU: it.GetSku(), Price: MoneyFromProto(it.GetPrice())}
	}
	resp, err := p.SetPrices(ctx, in)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.SetPricesResponse{Results: writeResultsToProto(resp.Results), Quota: QuotaToProto(resp.Quota)}, nil
}

func (s *server) GetRemoteProducts(ctx context.Context, req *pluginv1.GetRemoteProductsRequest) (*pluginv1.GetRemoteProductsResponse, error) {
	p, err := s.publisher()
	if err != nil {
		return nil, err
	}
	if err := s.checkBatch(OpGetRemoteProducts, len(req.GetRemoteIds())); err != nil {
		return nil, err
	}
	resp, err := p.GetRemoteProducts(ctx, &GetRemoteProductsRequest{RemoteIDs: req.GetRemoteIds()})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.GetRemoteProductsResponse{Results: productResultsToProto(resp.Results), Quota: QuotaToProto(resp.Quota)}, nil
}

func productResultsToProto(rs []ProductResult) []*pluginv1.ProductResult {
	out := make([]*pluginv1.ProductResult, len(rs))
	for i, r := range rs {
		out[i] = &pluginv1.ProductResult{Id: r.ID, Product: ProductToProto(r.Product), Error: ErrorToProto(r.Err)}
	}
	return out
}

func writeResultsToProto(rs []WriteResult) []*pluginv1.WriteResult {
	out := make([]*pluginv1.WriteResult, len(rs))
	for i, r := range rs {
		out[i] = &pluginv1.WriteResult{RemoteId: r.RemoteID, IdempotencyKey: r.IdempotencyKey, Error: ErrorToProto(r.Err)}
	}
	return out
}
