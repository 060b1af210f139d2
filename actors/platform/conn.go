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
	var (
		res = &CallResult{}
		err error
	)
	switch r := c.GetRequest().(type) {
	case *Call_FetchProducts:
		var resp *pluginv1.FetchProductsResponse
		resp, err = conn.FetchProducts(ctx, r.FetchProducts)
		res.Response = &CallResult_FetchProducts{FetchProducts: resp}
	case *Call_ListProducts:
		var resp *pluginv1.ListProductsResponse
		resp, err = conn.ListProducts(ctx, r.ListProducts)
		res.Response = &CallResult_ListProducts{ListProducts: resp}
	case *Call_UpsertProducts:
		var resp *pluginv1.UpsertProductsResponse
		resp, err = conn.UpsertProducts(ctx, r.UpsertProducts)
		res.Response = &CallResult_UpsertProducts{UpsertProducts: resp}
	case *Call_SetInventory:
		var resp *pluginv1.SetInventoryResponse
		resp, err = conn.SetInventory(ctx, r.SetInventory)
		res.Response = &CallResult_SetInventory{SetInventory: resp}
	case *Call_SetPrices:
		var resp *pluginv1.SetPricesResponse
		resp, err = conn.SetPrices(ctx, r.SetPrices)
		res.Response = &CallResult_SetPrices{SetPrices: resp}
	case *Call_GetRemoteProducts:
		var resp *pluginv1.GetRemoteProductsResponse
		resp, err = conn.GetRemoteProducts(ctx, r.GetRemoteProducts)
		res.Response = &CallResult_GetRemoteProducts{GetRemoteProducts: resp}
	case *Call_ResolveUrls:
		var resp *pluginv1.ResolveURLsResponse
		resp, err = conn.ResolveURLs(ctx, r.ResolveUrls)
		res.Response = &CallResult_ResolveUrls{ResolveUrls: resp}
	default:
		return nil, sdk.Invalid("no_request", fmt.Sprintf("call carries no request (%T)", c.GetRequest()))
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// quota returns the quota feedback of a successful answer, if any.
func (r *CallResult) quota() *pluginv1.Quota {
	switch x := r.GetResponse().(type) {
	case *CallResult_FetchProducts:
		return x.FetchProducts.GetQuota()
	case *CallResult_ListProducts:
		return x.ListProducts.GetQuota()
	case *CallResult_UpsertProducts:
		return x.UpsertProducts.GetQuota()
	case *CallResult_SetInventory:
		return x.SetInventory.GetQuota()
	case *CallResult_SetPrices:
		return x.SetPrices.GetQuota()
	case *CallResult_GetRemoteProducts:
		return x.GetRemoteProducts.GetQuota()
	}
	return nil
}

// Err returns the call's failure as an *sdk.Error, or nil.
func (r *CallResult) Err() *sdk.Error { return sdk.ErrorFromProto(r.GetError()) }
