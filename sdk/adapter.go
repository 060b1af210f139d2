package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/marketsync/marketsync/sdk/internal/rpc"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// adapter presents an author's Plugin to the protocol server in the
// model's terms: it converts each request to the author types, calls the
// author's method and converts the answer back.
type adapter struct {
	p    Plugin
	desc Description
}

var _ rpc.Handler = (*adapter)(nil)

func newAdapter(p Plugin) (*adapter, error) {
	d, err := checkPlugin(p)
	if err != nil {
		return nil, err
	}
	return &adapter{p: p, desc: d}, nil
}

func (a *adapter) Describe() (*model.Description, error) { return descriptionToModel(a.desc) }

func (a *adapter) Configure(ctx context.Context, configJSON []byte) error {
	cfg, err := ParseConfigJSON(a.desc.Config, configJSON)
	if err != nil {
		return model.Invalid(model.CodeConfig, err.Error())
	}
	return modelError(a.p.Configure(ctx, cfg))
}

func (a *adapter) Invoke(ctx context.Context, op *model.OperationSpec, req proto.Message) (proto.Message, error) {
	s, ok := operations[op.Op]
	if !ok {
		return nil, fmt.Errorf("%w: this SDK does not know operation %s", rpc.ErrUnimplemented, op.Name)
	}
	resp, err := s.serve(ctx, a, req)
	return resp, modelError(err)
}

// modelError turns an author's *Error (or an error wrapping one) into the
// model's; other errors pass through for the server to classify.
func modelError(err error) error {
	if e, ok := AsError(err); ok {
		return errorToModel(e)
	}
	return err
}

// served is how the plugin side serves one operation: whether a plugin
// implements it, and the call of the author's method.
type served struct {
	implementedBy func(Plugin) bool
	serve         func(context.Context, *adapter, proto.Message) (proto.Message, error)
}

// operations is the plugin side of the operation table in sdk/model: for
// each operation, the author's method that serves it. A plugin advertises
// the capability of every operation it implements.
var operations = map[model.Operation]served{
	model.Operation_OPERATION_FETCH_PRODUCTS: bind(func(ctx context.Context, c Collector, req *model.FetchProductsRequest) (proto.Message, error) {
		resp, err := c.FetchProducts(ctx, &FetchProductsRequest{IDs: req.GetIds(), Locales: req.GetLocales(), Currency: req.GetCurrency()})
		if err != nil {
			return nil, err
		}
		return &model.FetchProductsResponse{Results: productResultsToModel(resp.Results), Quota: quotaToModel(resp.Quota)}, nil
	}),
	model.Operation_OPERATION_LIST_PRODUCTS: bind(func(ctx context.Context, c Collector, req *model.ListProductsRequest) (proto.Message, error) {
		resp, err := c.ListProducts(ctx, &ListProductsRequest{Cursor: req.GetCursor(), PageSize: int(req.GetPageSize()), Scope: req.GetScope()})
		if err != nil {
			return nil, err
		}
		return &model.ListProductsResponse{Ids: resp.IDs, NextCursor: resp.NextCursor, Quota: quotaToModel(resp.Quota)}, nil
	}),
	model.Operation_OPERATION_RESOLVE_URLS: bind(func(ctx context.Context, r URLResolver, req *model.ResolveURLsRequest) (proto.Message, error) {
		resp, err := r.ResolveURLs(ctx, &ResolveURLsRequest{URLs: req.GetUrls()})
		if err != nil {
			return nil, err
		}
		out := &model.ResolveURLsResponse{Results: make([]*model.ResolveResult, len(resp.Results))}
		for i, r := range resp.Results {
			out.Results[i] = &model.ResolveResult{Url: r.URL, Id: r.ID, Error: errorToModel(r.Err)}
		}
		return out, nil
	}),
	model.Operation_OPERATION_UPSERT_PRODUCTS: bind(func(ctx context.Context, p Publisher, req *model.UpsertProductsRequest) (proto.Message, error) {
		in := &UpsertProductsRequest{FencingToken: req.GetFencingToken(), Items: make([]UpsertItem, len(req.GetItems()))}
		for i, it := range req.GetItems() {
			in.Items[i] = UpsertItem{IdempotencyKey: it.GetIdempotencyKey(), RemoteID: it.GetRemoteId()}
			if it.GetProduct() != nil {
				in.Items[i].Product = productFromModel(it.GetProduct())
			}
		}
		resp, err := p.UpsertProducts(ctx, in)
		if err != nil {
			return nil, err
		}
		return &model.UpsertProductsResponse{Results: writeResultsToModel(resp.Results), Quota: quotaToModel(resp.Quota)}, nil
	}),
	model.Operation_OPERATION_SET_INVENTORY: bind(func(ctx context.Context, p Publisher, req *model.SetInventoryRequest) (proto.Message, error) {
		in := &SetInventoryRequest{FencingToken: req.GetFencingToken(), Items: make([]InventoryItem, len(req.GetItems()))}
		for i, it := range req.GetItems() {
			in.Items[i] = InventoryItem{IdempotencyKey: it.GetIdempotencyKey(), RemoteID: it.GetRemoteId(), SKU: it.GetSku(), Stock: it.GetStock(), ExpectedStock: it.ExpectedStock}
		}
		resp, err := p.SetInventory(ctx, in)
		if err != nil {
			return nil, err
		}
		return &model.SetInventoryResponse{Results: writeResultsToModel(resp.Results), Quota: quotaToModel(resp.Quota)}, nil
	}),
	model.Operation_OPERATION_SET_PRICES: bind(func(ctx context.Context, p Publisher, req *model.SetPricesRequest) (proto.Message, error) {
		in := &SetPricesRequest{FencingToken: req.GetFencingToken(), Items: make([]PriceItem, len(req.GetItems()))}
		for i, it := range req.GetItems() {
			in.Items[i] = PriceItem{IdempotencyKey: it.GetIdempotencyKey(), RemoteID: it.GetRemoteId(), SKU: it.GetSku(), Price: moneyFromModel(it.GetPrice())}
		}
		resp, err := p.SetPrices(ctx, in)
		if err != nil {
			return nil, err
		}
		return &model.SetPricesResponse{Results: writeResultsToModel(resp.Results), Quota: quotaToModel(resp.Quota)}, nil
	}),
	model.Operation_OPERATION_GET_REMOTE_PRODUCTS: bind(func(ctx context.Context, p Publisher, req *model.GetRemoteProductsRequest) (proto.Message, error) {
		resp, err := p.GetRemoteProducts(ctx, &GetRemoteProductsRequest{RemoteIDs: req.GetRemoteIds()})
		if err != nil {
			return nil, err
		}
		return &model.GetRemoteProductsResponse{Results: productResultsToModel(resp.Results), Quota: quotaToModel(resp.Quota)}, nil
	}),
	model.Operation_OPERATION_VERIFY_WEBHOOKS: bind(func(ctx context.Context, v WebhookVerifier, req *model.VerifyWebhooksRequest) (proto.Message, error) {
		in := &VerifyWebhooksRequest{Webhooks: make([]Webhook, len(req.GetWebhooks()))}
		for i, w := range req.GetWebhooks() {
			in.Webhooks[i] = Webhook{Headers: w.GetHeaders(), Body: w.GetBody()}
		}
		resp, err := v.VerifyWebhooks(ctx, in)
		if err != nil {
			return nil, err
		}
		out := &model.VerifyWebhooksResponse{Results: make([]*model.WebhookResult, len(resp.Results))}
		for i, r := range resp.Results {
			out.Results[i] = &model.WebhookResult{Error: errorToModel(r.Err)}
			if e := r.Event; e != nil {
				out.Results[i].Event = &model.WebhookEvent{DeliveryId: e.DeliveryID, Topic: e.Topic, RemoteIds: e.RemoteIDs}
				if !e.OccurredAt.IsZero() {
					out.Results[i].Event.OccurredAt = timestamppb.New(e.OccurredAt)
				}
			}
		}
		return out, nil
	}),
}

// bind ties an operation to the interface I that serves it: a plugin
// implements the operation when it implements I.
func bind[I any, Req proto.Message](serve func(context.Context, I, Req) (proto.Message, error)) served {
	return served{
		implementedBy: func(p Plugin) bool { _, ok := p.(I); return ok },
		serve: func(ctx context.Context, a *adapter, req proto.Message) (proto.Message, error) {
			impl, ok := a.p.(I)
			if !ok {
				return nil, fmt.Errorf("%w: plugin %s", rpc.ErrUnimplemented, a.desc.Name)
			}
			r, ok := req.(Req)
			if !ok {
				return nil, errors.New("request of the wrong type")
			}
			return serve(ctx, impl, r)
		},
	}
}

// capabilities lists the capabilities of the operations p implements, in
// their order.
func capabilities(p Plugin) []Capability {
	var out []Capability
	for _, op := range model.Operations() {
		s, ok := operations[op.Op]
		c := Capability(op.Capability)
		if ok && s.implementedBy(p) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}
