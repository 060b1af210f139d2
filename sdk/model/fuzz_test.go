package model

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// FuzzCheck feeds the operation table random requests and random plugin
// answers, decoded from protobuf as the host decodes them. Whatever the
// plugin sent, an answer Check accepts has exactly one result per item,
// in request order, each either a valid product (or id, or write) or an
// error: that is what lets the host contain a confused plugin per item.
// Its seed corpus is in testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	f.Fuzz(func(t *testing.T, op uint8, reqWire, respWire []byte) {
		spec := Operations()[int(op)%len(Operations())]
		req, resp := spec.NewRequest(), spec.NewResponse()
		if proto.Unmarshal(reqWire, req) != nil || proto.Unmarshal(respWire, resp) != nil {
			return
		}
		if err := spec.Check(req, resp); err != nil {
			if _, ok := AsError(err); !ok {
				t.Fatalf("%s: Check failed with %T %v, not a *model.Error", spec.Method, err, err)
			}
			return
		}
		checkAnswer(t, spec, req, resp)
	})
}

func checkAnswer(t *testing.T, spec *OperationSpec, req, resp proto.Message) {
	t.Helper()
	var asked []string
	switch q := req.(type) {
	case *FetchProductsRequest:
		asked = q.GetIds()
	case *GetRemoteProductsRequest:
		asked = q.GetRemoteIds()
	case *ResolveURLsRequest:
		asked = q.GetUrls()
	case *UpsertProductsRequest:
		asked = keysOf(q.GetItems())
	case *SetInventoryRequest:
		asked = keysOf(q.GetItems())
	case *SetPricesRequest:
		asked = keysOf(q.GetItems())
	case *VerifyWebhooksRequest:
		r := resp.(*VerifyWebhooksResponse)
		if len(r.GetResults()) != len(q.GetWebhooks()) {
			t.Fatalf("%s: %d results for %d deliveries", spec.Method, len(r.GetResults()), len(q.GetWebhooks()))
		}
		for i, res := range r.GetResults() {
			if res.GetEvent() == nil && res.GetError() == nil {
				t.Fatalf("%s: result %d holds neither an event nor an error", spec.Method, i)
			}
		}
		return
	case *ListProductsRequest:
		if r := resp.(*ListProductsResponse); r.GetNextCursor() != "" && r.GetNextCursor() == q.GetCursor() {
			t.Fatalf("cursor loop %q accepted", q.GetCursor())
		}
		return
	default:
		t.Fatalf("%s: no invariant for %T", spec.Method, req)
	}
	if n := spec.Items(req); n != len(asked) {
		t.Fatalf("%s: Items says %d, the request holds %d", spec.Method, n, len(asked))
	}
	answered := func(n int) {
		if n != len(asked) {
			t.Fatalf("%s: %d results for %d items", spec.Method, n, len(asked))
		}
	}
	switch r := resp.(type) {
	case interface{ GetResults() []*ProductResult }:
		answered(len(r.GetResults()))
		for i, res := range r.GetResults() {
			if res.GetId() != asked[i] || (res.GetProduct() == nil) == (res.GetError() == nil) {
				t.Fatalf("%s: result %d for %q: %v", spec.Method, i, asked[i], res)
			}
			if err := res.GetProduct().Validate(); res.GetProduct() != nil && err != nil {
				t.Fatalf("%s: result %d holds an invalid product: %v", spec.Method, i, err)
			}
		}
	case interface{ GetResults() []*WriteResult }:
		answered(len(r.GetResults()))
		for i, res := range r.GetResults() {
			if res.GetIdempotencyKey() != asked[i] {
				t.Fatalf("%s: result %d has key %q, want %q", spec.Method, i, res.GetIdempotencyKey(), asked[i])
			}
		}
	case *ResolveURLsResponse:
		answered(len(r.GetResults()))
		for i, res := range r.GetResults() {
			if res.GetUrl() != asked[i] || (res.GetId() == "" && res.GetError() == nil) {
				t.Fatalf("%s: result %d for %q: %v", spec.Method, i, asked[i], res)
			}
		}
	default:
		t.Fatalf("%s: no invariant for %T", spec.Method, resp)
	}
}

// FuzzProductValidate checks that validating any product decoded from
// protobuf never panics, and that a valid product stays valid through the
// wire, as the catalogue stores and reads it back.
func FuzzProductValidate(f *testing.F) {
	f.Fuzz(func(t *testing.T, wire []byte) {
		var p Product
		if proto.Unmarshal(wire, &p) != nil || p.Validate() != nil {
			return
		}
		for _, v := range p.GetVariants() {
			_ = v.GetPrice().Format()
			// What a store is sent as a sale is in the price's currency
			// and above it.
			if was := v.SaleCompareAt(); was != nil && (was.GetCurrency() != v.GetPrice().GetCurrency() || was.GetAmount() <= v.GetPrice().GetAmount()) {
				t.Fatalf("SaleCompareAt %v for price %v", was, v.GetPrice())
			}
		}
		data, err := proto.Marshal(&p)
		if err != nil {
			t.Fatalf("a valid product does not marshal: %v", err)
		}
		var back Product
		if err := proto.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("valid, then invalid after a round trip: %v", err)
		}
	})
}
