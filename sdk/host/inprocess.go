package host

import (
	"context"
	"fmt"

	"github.com/marketsync/marketsync/sdk"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
	"google.golang.org/grpc"
)

// InProcess returns a Plugin that calls p directly, without a process,
// gRPC or sockets, but through the same protocol conversion, batch-cap
// checks, error encoding and result validation as a launched plugin. It
// serves tests and benchmarks that run under testing/synctest, where real
// network I/O would stop the fake clock. Kill and Exited are no-ops.
func InProcess(ctx context.Context, p sdk.Plugin) (*Plugin, error) {
	rpc := serverClient{sdk.NewServer(p)}
	resp, err := rpc.Describe(ctx, &pluginv1.DescribeRequest{})
	if err != nil {
		return nil, fmt.Errorf("describe: %w", sdk.FromStatus(err))
	}
	desc, err := sdk.DescriptionFromProto(resp)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	return &Plugin{rpc: rpc, desc: desc}, nil
}

// serverClient adapts a PlatformServer to the PlatformClient interface.
type serverClient struct{ s pluginv1.PlatformServer }

func (c serverClient) Describe(ctx context.Context, in *pluginv1.DescribeRequest, _ ...grpc.CallOption) (*pluginv1.DescribeResponse, error) {
	return c.s.Describe(ctx, in)
}
func (c serverClient) Configure(ctx context.Context, in *pluginv1.ConfigureRequest, _ ...grpc.CallOption) (*pluginv1.ConfigureResponse, error) {
	return c.s.Configure(ctx, in)
}
func (c serverClient) FetchProducts(ctx context.Context, in *pluginv1.FetchProductsRequest, _ ...grpc.CallOption) (*pluginv1.FetchProductsResponse, error) {
	return c.s.FetchProducts(ctx, in)
}
func (c serverClient) ListProducts(ctx context.Context, in *pluginv1.ListProductsRequest, _ ...grpc.CallOption) (*pluginv1.ListProductsResponse, error) {
	return c.s.ListProducts(ctx, in)
}
func (c serverClient) ResolveURLs(ctx context.Context, in *pluginv1.ResolveURLsRequest, _ ...grpc.CallOption) (*pluginv1.ResolveURLsResponse, error) {
	return c.s.ResolveURLs(ctx, in)
}
func (c serverClient) UpsertProducts(ctx context.Context, in *pluginv1.UpsertProductsRequest, _ ...grpc.CallOption) (*pluginv1.UpsertProductsResponse, error) {
	return c.s.UpsertProducts(ctx, in)
}
func (c serverClient) SetInventory(ctx context.Context, in *pluginv1.SetInventoryRequest, _ ...grpc.CallOption) (*pluginv1.SetInventoryResponse, error) {
	return c.s.SetInventory(ctx, in)
}
func (c serverClient) SetPrices(ctx context.Context, in *pluginv1.SetPricesRequest, _ ...grpc.CallOption) (*pluginv1.SetPricesResponse, error) {
	return c.s.SetPrices(ctx, in)
}
func (c serverClient) GetRemoteProducts(ctx context.Context, in *pluginv1.GetRemoteProductsRequest, _ ...grpc.CallOption) (*pluginv1.GetRemoteProductsResponse, error) {
	return c.s.GetRemoteProducts(ctx, in)
}
