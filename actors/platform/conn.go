package platform

import (
	"context"
	"fmt"

	"github.com/marketsync/marketsync/sdk"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
)

// Conn is what the actor needs of a running plugin; *host.Plugin is one,
// and tests use fakes.
type Conn interface {
	Description() sdk.Description
	Configure(ctx context.Context, configJSON []byte) error
	FetchProducts(context.Context, *pluginv1.FetchProductsRequest) (*pluginv1.FetchProductsResponse, error)
	ListProducts(context.Context, *pluginv1.ListProductsRequest) (*pluginv1.ListProductsResponse, error)
	UpsertProducts(context.Context, *pluginv1.UpsertProductsRequest) (*pluginv1.UpsertProductsResponse, error)
	SetInventory(context.Context, *pluginv1.SetInventoryRequest) (*pluginv1.SetInventoryResponse, error)
	SetPrices(context.Context, *pluginv1.SetPricesRequest) (*pluginv1.SetPricesResponse, error)
	GetRemoteProducts(context.Context, *pluginv1.GetRemoteProductsRequest) (*pluginv1.GetRemoteProductsResponse, error)
	ResolveURLs(context.Context, *pluginv1.ResolveURLsRequest) (*pluginv1.ResolveURLsResponse, error)
	// Ping checks the plugin process answers.
	Ping() error
	// Exited reports whether the plugin process has ended.
	Exited() bool
	// Kill stops the plugin process.
	Kill()
}

// Launcher starts a new plugin process and returns it unconfigured.
type Launcher func(ctx context.Context) (Conn, error)

// Operation returns the operation a call asks for, and its item count.
func (c *Call) Operation() (sdk.Operation, int) {
	switch r := c.GetRequest().(type) {
	case *Call_FetchProducts:
		return sdk.OpFetchProducts, len(r.FetchProducts.GetIds())
	case *Call_ListProducts:
		return sdk.OpListProducts, 1
	case *Call_UpsertProducts:
		return sdk.OpUpsertProducts, len(r.UpsertProducts.GetItems())
	case *Call_SetInventory:
		return sdk.OpSetInventory, len(r.SetInventory.GetItems())
	case *Call_SetPrices:
		return sdk.OpSetPrices, len(r.SetPrices.GetItems())
	case *Call_GetRemoteProducts:
		return sdk.OpGetRemoteProducts, len(r.GetRemoteProducts.GetRemoteIds())
	case *Call_ResolveUrls:
		return sdk.OpResolveURLs, len(r.ResolveUrls.GetUrls())
	}
	return 0, 0
}

// invoke makes the plugin call a Call asks for and wraps the answer in a
// CallResult.
func invoke(ctx context.Context, conn Conn, c *Call) (*CallResult, error) {
	switch r := c.GetRequest().(type) {
	case *Call_FetchProducts:
		return call(ctx, conn.FetchProducts, r.FetchProducts, func(v *pluginv1.FetchProductsResponse) isCallResult_Response {
			return &CallResult_FetchProducts{FetchProducts: v}
		})
	case *Call_ListProducts:
		return call(ctx, conn.ListProducts, r.ListProducts, func(v *pluginv1.ListProductsResponse) isCallResult_Response {
			return &CallResult_ListProducts{ListProducts: v}
		})
	case *Call_UpsertProducts:
		return call(ctx, conn.UpsertProducts, r.UpsertProducts, func(v *pluginv1.UpsertProductsResponse) isCallResult_Response {
			return &CallResult_UpsertProducts{UpsertProducts: v}
		})
	case *Call_SetInventory:
		return call(ctx, conn.SetInventory, r.SetInventory, func(v *pluginv1.SetInventoryResponse) isCallResult_Response {
			return &CallResult_SetInventory{SetInventory: v}
		})
	case *Call_SetPrices:
		return call(ctx, conn.SetPrices, r.SetPrices, func(v *pluginv1.SetPricesResponse) isCallResult_Response {
			return &CallResult_SetPrices{SetPrices: v}
		})
	case *Call_GetRemoteProducts:
		return call(ctx, conn.GetRemoteProducts, r.GetRemoteProducts, func(v *pluginv1.GetRemoteProductsResponse) isCallResult_Response {
			return &CallResult_GetRemoteProducts{GetRemoteProducts: v}
		})
	case *Call_ResolveUrls:
		return call(ctx, conn.ResolveURLs, r.ResolveUrls, func(v *pluginv1.ResolveURLsResponse) isCallResult_Response {
			return &CallResult_ResolveUrls{ResolveUrls: v}
		})
	}
	return nil, sdk.Invalid("no_request", fmt.Sprintf("call carries no request (%T)", c.GetRequest()))
}

// call makes one plugin call and puts its answer in a CallResult.
func call[Req, Resp any](ctx context.Context, rpc func(context.Context, Req) (Resp, error), req Req, wrap func(Resp) isCallResult_Response) (*CallResult, error) {
	resp, err := rpc(ctx, req)
	if err != nil {
		return nil, err
	}
	return &CallResult{Response: wrap(resp)}, nil
}

// quota returns the quota feedback of a successful answer, if any: every
// response message of the protocol but ResolveURLs' carries a Quota.
func (r *CallResult) quota() *pluginv1.Quota {
	if r == nil {
		return nil
	}
	m := r.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("response"))
	if fd == nil {
		return nil
	}
	if q, ok := m.Get(fd).Message().Interface().(interface{ GetQuota() *pluginv1.Quota }); ok {
		return q.GetQuota()
	}
	return nil
}

// Err returns the call's failure as an *sdk.Error, or nil.
func (r *CallResult) Err() *sdk.Error { return sdk.ErrorFromProto(r.GetError()) }
