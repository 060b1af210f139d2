package sim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type costInfo struct {
	RequestedQueryCost float64        `json:"requestedQueryCost"`
	ActualQueryCost    *float64       `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
}

type gqlAnswer struct {
	Data       map[string]any `json:"data,omitempty"`
	Errors     []gqlError     `json:"errors,omitempty"`
	Extensions struct {
		Cost *costInfo `json:"cost,omitempty"`
	} `json:"extensions"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// serveGraphQL answers POST /admin/api/<version>/graphql.json.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Requests++ })
	token := r.Header.Get("X-Shopify-Access-Token")
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.Token)) != 1 {
		// The Admin API's answer to a wrong or missing token.
		writeJSON(w, http.StatusUnauthorized, map[string]string{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	if v := r.PathValue("version"); v != APIVersion {
		writeJSON(w, http.StatusNotFound, map[string]string{"errors": "Not Found: this simulator serves API version " + APIVersion + " only, not " + v})
		return
	}
	w.Header().Set("X-Shopify-API-Version", APIVersion)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Query == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]string{"query": "Required parameter missing or invalid"}})
		return
	}
	s.count(func(st *Stats) { st.Documents++ })
	doc, err := parse(req.Query, req.Variables)
	if err != nil {
		writeJSON(w, http.StatusOK, gqlAnswer{Errors: []gqlError{{Message: err.Error()}}})
		return
	}
	var ans gqlAnswer
	// finish counts an admitted mutation document, run or not, before
	// its answer is written: a client that reads the count after the
	// answer finds it there.
	finish := func(bool) {}
	if doc.mutation {
		done, refused, err := s.admitWrite(r)
		switch {
		case err != nil:
			writeJSON(w, http.StatusBadRequest, map[string]string{"errors": err.Error()})
			return
		case refused != nil:
			ans.Errors = []gqlError{*refused}
			writeJSON(w, http.StatusOK, ans)
			return
		}
		finish = done
	}
	requested := s.requestedCost(doc)
	if requested > MaxQueryCost {
		ans.Errors = []gqlError{{
			Message:    fmt.Sprintf("Query cost is %.0f, which exceeds the single query max cost limit (%d).", requested, MaxQueryCost),
			Extensions: map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MaxQueryCost},
		}}
		ans.Extensions.Cost = &costInfo{RequestedQueryCost: requested, ThrottleStatus: s.bucket.refund(0)}
		finish(false)
		writeJSON(w, http.StatusOK, ans)
		return
	}
	ok, st := s.bucket.take(s.gw.Now(), requested)
	if !ok {
		// The documented throttled answer: status 200, a THROTTLED error
		// and the bucket in extensions.cost, actualQueryCost null.
		s.count(func(st *Stats) { st.Throttled++ })
		ans.Errors = []gqlError{{Message: "Throttled", Extensions: map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}}
		ans.Extensions.Cost = &costInfo{RequestedQueryCost: requested, ThrottleStatus: st}
		finish(false)
		writeJSON(w, http.StatusOK, ans)
		return
	}
	base := "http://" + r.Host
	data, actual, errs := s.run(doc, base)
	actual = min(actual, requested)
	st = s.bucket.refund(requested - actual)
	s.count(func(st *Stats) { st.Points += actual })
	ans.Data, ans.Errors = data, errs
	ans.Extensions.Cost = &costInfo{RequestedQueryCost: requested, ActualQueryCost: &actual, ThrottleStatus: st}
	finish(true)
	writeJSON(w, http.StatusOK, ans)
}

// requestedCost is the document's cost before it runs, by the documented
// defaults: 10 a mutation field; for queries one point an object and a
// connection two points plus its first: size, for each object it may
// return (the simulator counts the largest nested connection).
func (s *Server) requestedCost(d *document) float64 {
	total := 0.0
	for _, f := range d.fields {
		if d.mutation {
			total += MutationCost
			continue
		}
		per := 1.0
		if n := nestedFirst(f.selection); n > 0 {
			per += 2 + float64(n)
		}
		switch f.name {
		case "nodes":
			ids, _ := f.args["ids"].([]any)
			total += float64(len(ids)) * per
		case "products", "productVariants":
			n, _ := f.args["first"].(float64)
			total += 2 + n*per
		default:
			total++
		}
	}
	return total
}

// run runs each root field in order and returns the data, the actual
// cost and top-level errors.
func (s *Server) run(d *document, base string) (map[string]any, float64, []gqlError) {
	data := map[string]any{}
	var errs []gqlError
	actual := 0.0
	for _, f := range d.fields {
		s.count(func(st *Stats) { st.Fields[f.name]++ })
		var (
			v    any
			cost float64
			err  error
		)
		if d.mutation {
			cost = MutationCost
			v, err = s.mutate(f, base)
		} else {
			v, cost, err = s.query(f, base)
		}
		if err != nil {
			errs = append(errs, gqlError{Message: err.Error(), Extensions: map[string]any{"code": "BAD_REQUEST"}})
			data[f.alias] = nil
			continue
		}
		actual += cost
		data[f.alias] = v
	}
	return data, actual, errs
}

func (s *Server) mutate(f field, base string) (any, error) {
	switch f.name {
	case "productSet":
		var in productSetArgs
		if err := decode(f.args, &in); err != nil {
			return nil, err
		}
		return s.productSet(in), nil
	case "productVariantsBulkUpdate":
		return s.variantsBulkUpdate(f.args)
	case "inventorySetQuantities":
		if !f.hasKey {
			return nil, fmt.Errorf("inventorySetQuantities requires the @idempotent directive with a key as of API version 2026-04")
		}
		return s.inventorySet(f.key, f.args)
	case "stagedUploadsCreate":
		return s.stagedUploadsCreate(f.args, base)
	case "bulkOperationRunMutation":
		return s.bulkRun(f.args, base)
	}
	//lint:ignore ST1005 Shopify's own message, verbatim
	return nil, fmt.Errorf("Field '%s' doesn't exist on type 'Mutation'", f.name)
}

func (s *Server) query(f field, base string) (any, float64, error) {
	switch f.name {
	case "nodes":
		return s.nodes(f.args)
	case "node":
		return s.node(f.args, base)
	case "products":
		return s.listProducts(f.args)
	case "productVariants":
		return s.findVariants(f.args)
	case "shop":
		return map[string]any{"myshopifyDomain": s.opts.Shop, "currencyCode": s.opts.Currency}, 1, nil
	}
	//lint:ignore ST1005 Shopify's own message, verbatim
	return nil, 0, fmt.Errorf("Field '%s' doesn't exist on type 'QueryRoot'", f.name)
}

// decode re-reads decoded JSON into a typed value.
func decode(in any, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
