package host

import (
	"fmt"

	"github.com/marketsync/marketsync/sdk"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
)

// Codes of the per-item errors the host makes up when a plugin's answer is
// wrong. They are stable: operators and tests match on them.
const (
	CodeMissingResult  = "plugin_missing_result"
	CodeEmptyResult    = "plugin_empty_result"
	CodeInvalidProduct = "plugin_invalid_product"
)

// realignProducts returns exactly one result per id, in the order asked.
// A result the plugin left out becomes UNAVAILABLE (worth retrying), one
// with neither product nor error likewise, and a product that fails
// validation becomes INVALID with the validation message, so a plugin's
// mapping bug fails that item alone.
func realignProducts(ids []string, got []*pluginv1.ProductResult) []*pluginv1.ProductResult {
	byID := make(map[string]*pluginv1.ProductResult, len(got))
	for _, r := range got {
		if _, dup := byID[r.GetId()]; !dup {
			byID[r.GetId()] = r
		}
	}
	out := make([]*pluginv1.ProductResult, len(ids))
	for i, id := range ids {
		r, ok := byID[id]
		switch {
		case !ok:
			r = errResult(id, sdk.Unavailable(CodeMissingResult, "plugin returned no result for this id"))
		case r.GetError() != nil:
			r.Product = nil
		case r.GetProduct() == nil:
			r = errResult(id, sdk.Unavailable(CodeEmptyResult, "plugin returned neither a product nor an error"))
		default:
			if err := sdk.ProductFromProto(r.GetProduct()).Validate(); err != nil {
				r = errResult(id, sdk.Invalid(CodeInvalidProduct, fmt.Sprintf("plugin returned an invalid product: %v", err)))
			}
		}
		out[i] = r
	}
	return out
}

func errResult(id string, e *sdk.Error) *pluginv1.ProductResult {
	return &pluginv1.ProductResult{Id: id, Error: sdk.ErrorToProto(e)}
}

// realignWrites returns one write result per idempotency key, in order. A
// plugin may echo keys or answer positionally; anything it did not answer
// becomes UNAVAILABLE so the write is retried under the same key.
func realignWrites(keys []string, got []*pluginv1.WriteResult) []*pluginv1.WriteResult {
	out := make([]*pluginv1.WriteResult, len(keys))
	byKey := make(map[string]*pluginv1.WriteResult, len(got))
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
			r = &pluginv1.WriteResult{Error: sdk.ErrorToProto(sdk.Unavailable(CodeMissingResult, "plugin returned no result for this write"))}
		}
		r.IdempotencyKey = k
		out[i] = r
	}
	return out
}
