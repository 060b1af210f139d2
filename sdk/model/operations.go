package model

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// OperationSpec is everything about one plugin operation that is not
// platform-specific. The table of them (operationTable below) is the one
// place an operation is declared: the host's client and in-process host,
// the plugin-side server behind sdk.Serve, the platform actor's dispatch
// and the test fakes all read it, so adding an operation is a proto
// change, one entry here and the author-facing method (sdk/README.md).
type OperationSpec struct {
	Op         Operation
	Capability Capability
	// Method is the RPC's name in the plugin protocol's Platform service.
	Method string
	// Name is the operation's label in metrics, limits and the API.
	Name string
	// Free operations never reach the platform (ResolveURLs parses): the
	// actor takes no rate-limiter tokens for them.
	Free bool

	newRequest  func() proto.Message
	newResponse func() proto.Message
	items       func(proto.Message) int
	check       func(req, resp proto.Message) error
}

// NewRequest returns an empty request message of the operation.
func (s *OperationSpec) NewRequest() proto.Message { return s.newRequest() }

// NewResponse returns an empty response message of the operation.
func (s *OperationSpec) NewResponse() proto.Message { return s.newResponse() }

// Items counts the items req carries, the unit of batch caps.
func (s *OperationSpec) Items(req proto.Message) int { return s.items(req) }

// Check makes resp answer req exactly, in place: one result per item in
// request order, a per-item error for every item the plugin left
// unanswered or answered with an invalid product, so that a plugin's bug
// fails items alone. It returns an error only for an answer that is
// unusable as a whole.
func (s *OperationSpec) Check(req, resp proto.Message) error { return s.check(req, resp) }

// QuotaOf returns the quota feedback a response carries, if any.
func QuotaOf(resp proto.Message) *Quota {
	if q, ok := resp.(interface{ GetQuota() *Quota }); ok {
		return q.GetQuota()
	}
	return nil
}

func entry[Req, Resp proto.Message](op Operation, capab Capability, method string, items func(Req) int, check func(Req, Resp) error) *OperationSpec {
	var req Req
	var resp Resp
	return &OperationSpec{
		Op: op, Capability: capab, Method: method,
		Name:        strings.ToLower(strings.TrimPrefix(op.String(), "OPERATION_")),
		newRequest:  func() proto.Message { return req.ProtoReflect().New().Interface() },
		newResponse: func() proto.Message { return resp.ProtoReflect().New().Interface() },
		items:       func(m proto.Message) int { return items(m.(Req)) },
		check:       func(q, r proto.Message) error { return check(q.(Req), r.(Resp)) },
	}
}

// operationTable is built in init, after model.pb.go's init has
// registered the enums whose names it reads.
var operationTable []*OperationSpec

func init() {
	operationTable = []*OperationSpec{
		entry(Operation_OPERATION_FETCH_PRODUCTS, Capability_CAPABILITY_COLLECT, "FetchProducts",
			func(r *FetchProductsRequest) int { return len(r.GetIds()) },
			func(q *FetchProductsRequest, r *FetchProductsResponse) error {
				r.Results = realignProducts(q.GetIds(), r.GetResults())
				return nil
			}),
		entry(Operation_OPERATION_LIST_PRODUCTS, Capability_CAPABILITY_COLLECT, "ListProducts",
			func(*ListProductsRequest) int { return 1 },
			func(q *ListProductsRequest, r *ListProductsResponse) error {
				if r.GetNextCursor() != "" && r.GetNextCursor() == q.GetCursor() {
					return Invalid(CodeCursorLoop, "plugin returned the cursor it was given; listing would never end")
				}
				return nil
			}),
		entry(Operation_OPERATION_UPSERT_PRODUCTS, Capability_CAPABILITY_PUBLISH, "UpsertProducts",
			func(r *UpsertProductsRequest) int { return len(r.GetItems()) },
			func(q *UpsertProductsRequest, r *UpsertProductsResponse) error {
				r.Results = realignWrites(keysOf(q.GetItems()), r.GetResults())
				return nil
			}),
		entry(Operation_OPERATION_SET_INVENTORY, Capability_CAPABILITY_PUBLISH, "SetInventory",
			func(r *SetInventoryRequest) int { return len(r.GetItems()) },
			func(q *SetInventoryRequest, r *SetInventoryResponse) error {
				r.Results = realignWrites(keysOf(q.GetItems()), r.GetResults())
				return nil
			}),
		entry(Operation_OPERATION_SET_PRICES, Capability_CAPABILITY_PUBLISH, "SetPrices",
			func(r *SetPricesRequest) int { return len(r.GetItems()) },
			func(q *SetPricesRequest, r *SetPricesResponse) error {
				r.Results = realignWrites(keysOf(q.GetItems()), r.GetResults())
				return nil
			}),
		entry(Operation_OPERATION_GET_REMOTE_PRODUCTS, Capability_CAPABILITY_PUBLISH, "GetRemoteProducts",
			func(r *GetRemoteProductsRequest) int { return len(r.GetRemoteIds()) },
			func(q *GetRemoteProductsRequest, r *GetRemoteProductsResponse) error {
				r.Results = realignProducts(q.GetRemoteIds(), r.GetResults())
				return nil
			}),
		free(entry(Operation_OPERATION_RESOLVE_URLS, Capability_CAPABILITY_COLLECT, "ResolveURLs",
			func(r *ResolveURLsRequest) int { return len(r.GetUrls()) },
			func(q *ResolveURLsRequest, r *ResolveURLsResponse) error {
				r.Results = realignURLs(q.GetUrls(), r.GetResults())
				return nil
			})),
		free(entry(Operation_OPERATION_VERIFY_WEBHOOKS, Capability_CAPABILITY_WEBHOOKS, "VerifyWebhooks",
			func(r *VerifyWebhooksRequest) int { return len(r.GetWebhooks()) },
			func(q *VerifyWebhooksRequest, r *VerifyWebhooksResponse) error {
				r.Results = realignPositional(len(q.GetWebhooks()), r.GetResults(),
					func(w *WebhookResult) bool { return w.GetEvent() == nil },
					func(e *Error) *WebhookResult { return &WebhookResult{Error: e} })
				return nil
			})),
	}
	for _, s := range operationTable {
		byOp[s.Op] = s
		byRequest[s.newRequest().ProtoReflect().Descriptor().FullName()] = s
	}
}

// free marks an operation that never reaches the platform.
func free(s *OperationSpec) *OperationSpec {
	s.Free = true
	return s
}

var (
	byOp      = map[Operation]*OperationSpec{}
	byRequest = map[protoreflect.FullName]*OperationSpec{}
)

// Operations lists every operation's spec in protocol order.
func Operations() []*OperationSpec { return operationTable }

// LookupOperation returns the spec of op.
func LookupOperation(op Operation) (*OperationSpec, bool) {
	s, ok := byOp[op]
	return s, ok
}

// OperationOf returns the spec of the operation whose request req is.
func OperationOf(req proto.Message) (*OperationSpec, bool) {
	if req == nil {
		return nil, false
	}
	s, ok := byRequest[req.ProtoReflect().Descriptor().FullName()]
	return s, ok
}

// realignProducts returns exactly one result per id, in the order asked.
// A result the plugin left out becomes UNAVAILABLE (worth retrying), one
// with neither product nor error likewise, and a product that fails
// validation becomes INVALID with the validation message.
func realignProducts(ids []string, got []*ProductResult) []*ProductResult {
	byID := make(map[string]*ProductResult, len(got))
	for _, r := range got {
		if _, dup := byID[r.GetId()]; !dup {
			byID[r.GetId()] = r
		}
	}
	out := make([]*ProductResult, len(ids))
	for i, id := range ids {
		r, ok := byID[id]
		switch {
		case !ok:
			r = &ProductResult{Id: id, Error: Unavailable(CodeMissingResult, "plugin returned no result for this id")}
		case r.GetError() != nil:
			r.Product = nil
		case r.GetProduct() == nil:
			r = &ProductResult{Id: id, Error: Unavailable(CodeEmptyResult, "plugin returned neither a product nor an error")}
		default:
			Normalize(r.GetProduct())
			if err := r.GetProduct().Validate(); err != nil {
				r = &ProductResult{Id: id, Error: Invalid(CodeInvalidProduct, fmt.Sprintf("plugin returned an invalid product: %v", err))}
			}
		}
		out[i] = r
	}
	return out
}

// realignWrites returns one write result per idempotency key, in order. A
// plugin may echo keys or answer positionally; anything it did not answer
// becomes UNAVAILABLE so the write is retried under the same key.
func realignWrites(keys []string, got []*WriteResult) []*WriteResult {
	out := make([]*WriteResult, len(keys))
	byKey := make(map[string]*WriteResult, len(got))
	for _, r := range got {
		if k := r.GetIdempotencyKey(); k != "" {
			byKey[k] = r
		}
	}
	for i, k := range keys {
		r, ok := byKey[k]
		if !ok && len(got) == len(keys) && got[i].GetIdempotencyKey() == "" {
			r, ok = got[i], true
		}
		if !ok {
			r = &WriteResult{Error: Unavailable(CodeMissingResult, "plugin returned no result for this write")}
		}
		r.IdempotencyKey = k
		out[i] = r
	}
	return out
}

// realignURLs returns one result per URL in order; a URL the plugin left
// unanswered fails alone.
func realignURLs(urls []string, got []*ResolveResult) []*ResolveResult {
	byURL := make(map[string]*ResolveResult, len(got))
	for _, r := range got {
		byURL[r.GetUrl()] = r
	}
	out := make([]*ResolveResult, len(urls))
	for i, u := range urls {
		r, ok := byURL[u]
		switch {
		case !ok:
			r = &ResolveResult{Url: u, Error: Unavailable(CodeMissingResult, "plugin returned no result for this URL")}
		case r.GetError() == nil && r.GetId() == "":
			r = &ResolveResult{Url: u, Error: Unavailable(CodeEmptyResult, "plugin returned neither an id nor an error")}
		}
		out[i] = r
	}
	return out
}

// realignPositional returns exactly n results for answers that carry no
// key: the plugin's answer if it gave n, else an UNAVAILABLE per item (the
// items cannot be matched, so none is trusted). A result that holds
// neither a value nor an error becomes UNAVAILABLE too.
func realignPositional[R interface{ GetError() *Error }](n int, got []R, empty func(R) bool, missing func(*Error) R) []R {
	if len(got) != n {
		out := make([]R, n)
		for i := range out {
			out[i] = missing(Unavailable(CodeMissingResult, fmt.Sprintf("plugin returned %d results for %d items", len(got), n)))
		}
		return out
	}
	for i, r := range got {
		if r.GetError() == nil && empty(r) {
			got[i] = missing(Unavailable(CodeEmptyResult, "plugin returned neither a result nor an error"))
		}
	}
	return got
}

// keysOf lists the idempotency keys of a write's items, in order.
func keysOf[T interface{ GetIdempotencyKey() string }](items []T) []string {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.GetIdempotencyKey()
	}
	return keys
}
