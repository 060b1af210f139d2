package host

import (
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/internal/rpc"
	"github.com/marketsync/marketsync/sdk/model"
)

// Conversions between the canonical model and the author-facing sdk
// types, for hosts that show a stored product or error in the sdk's JSON
// form and for conformance tests that compare with what an author wrote.
// They are the same functions the plugin side uses.

// ProductFromModel converts a model product to the author's type; nil
// stays nil.
func ProductFromModel(p *model.Product) *sdk.Product {
	if p == nil {
		return nil
	}
	out := rpc.ProductFromModel(p).(sdk.Product)
	return &out
}

// ProductToModel converts an author's product to the model.
func ProductToModel(p *sdk.Product) *model.Product { return rpc.ProductToModel(p) }

// ErrorFromModel converts a model error to the author's type; nil stays nil.
func ErrorFromModel(e *model.Error) *sdk.Error {
	if e == nil {
		return nil
	}
	return rpc.ErrorFromModel(e).(*sdk.Error)
}

// AsError returns the typed failure of a call, in the author's terms, when
// err is or wraps one: the errors the host returns are *model.Error, and a
// plugin's tests compare them with what its code returned.
func AsError(err error) (*sdk.Error, bool) {
	if e, ok := model.AsError(err); ok {
		return ErrorFromModel(e), true
	}
	return sdk.AsError(err)
}
