package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Prefixes of the routes.
const (
	apiRoot      = "/wp-json/wc/v3/"
	merchantRoot = "/__sim/merchant/products/"
)

// route is one of the wc/v3 routes the store answers.
type route struct {
	pattern string // for Stats, such as "products/{id}/variations/batch"
	re      *regexp.Regexp
	methods map[string]handler
}

// handler answers an authenticated request; ids are the route's numbers.
type handler func(s *Server, c *call) (status int, body any, err *apiError)

// call is one request as the handlers see it.
type call struct {
	r       *http.Request
	body    []byte
	ids     []int64
	home    string
	header  http.Header
	changes []change
}

// denied is each route's permission refusal of a request without a key
// (the controllers' *_permissions_check, rest_authorization_required_code).
type denied struct{ code, msg string }

var (
	deniedList   = denied{"woocommerce_rest_cannot_view", "Sorry, you cannot list resources."}
	deniedView   = denied{"woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."}
	deniedCreate = denied{"woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."}
	deniedEdit   = denied{"woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."}
	deniedDelete = denied{"woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."}
	deniedBatch  = denied{"woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."}
)

var batchMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch}

var routes = func() []route {
	r := func(pattern, re string, m map[string]handler) route {
		return route{pattern: pattern, re: regexp.MustCompile("^" + re + "$"), methods: m}
	}
	batch := func(h handler) map[string]handler {
		m := map[string]handler{}
		for _, method := range batchMethods {
			m[method] = h
		}
		return m
	}
	edit := batch((*Server).updateOne)
	edit[http.MethodGet] = (*Server).getProduct
	edit[http.MethodDelete] = (*Server).deleteOne
	return []route{
		r("products/batch", `products/batch`, batch((*Server).productsBatch)),
		r("products/{id}/variations/batch", `products/(\d+)/variations/batch`, batch((*Server).variationsBatch)),
		r("products/{id}/variations", `products/(\d+)/variations`, map[string]handler{http.MethodGet: (*Server).listVariations}),
		r("products/{id}", `products/(\d+)`, edit),
		r("products", `products`, map[string]handler{http.MethodGet: (*Server).listProducts, http.MethodPost: (*Server).createOne}),
	}
}()

func deniedFor(pattern, method string) denied {
	switch {
	case strings.HasSuffix(pattern, "batch"):
		return deniedBatch
	case method == http.MethodGet && strings.HasSuffix(pattern, "{id}"):
		return deniedView
	case method == http.MethodGet:
		return deniedList
	case method == http.MethodDelete:
		return deniedDelete
	case pattern == "products":
		return deniedCreate
	}
	return deniedEdit
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	if wait, ok := s.gw.Take(); !ok {
		// A host's limit in front of WordPress: 429 with Retry-After and
		// its own page, not a WordPress error object.
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10))
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, "<html><body><h1>429 Too Many Requests</h1></body></html>")
		s.count("", "rate_limited")
		return
	}
	if strings.HasPrefix(r.URL.Path, merchantRoot) {
		s.merchant(w, r)
		return
	}
	c := &call{r: r, home: s.home(r), header: http.Header{}}
	status, body, pattern, aerr := s.dispatch(c)
	if aerr != nil {
		s.count("", aerr.Code)
		writeJSON(w, aerr.status(), c.header, aerr)
		return
	}
	s.count(r.Method+" "+pattern, "")
	writeJSON(w, status, c.header, body)
	s.emit(c.home, c.changes)
}

func (s *Server) dispatch(c *call) (int, any, string, *apiError) {
	r := c.r
	path, ok := strings.CutPrefix(r.URL.Path, apiRoot)
	noRoute := newError(http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.")
	if !ok {
		return 0, nil, "", noRoute
	}
	body, form, err := readBody(r)
	if err != nil {
		return 0, nil, "", newError(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
	}
	c.body = body
	authed, aerr := s.authenticate(r, form)
	if aerr != nil {
		if r.TLS != nil {
			c.header.Set("WWW-Authenticate", `Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer secret in the password field."`)
		}
		return 0, nil, "", aerr
	}
	for _, rt := range routes {
		m := rt.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		h, ok := rt.methods[r.Method]
		if !ok {
			return 0, nil, "", noRoute
		}
		if !authed {
			d := deniedFor(rt.pattern, r.Method)
			return 0, nil, "", newError(http.StatusUnauthorized, d.code, d.msg)
		}
		if err := s.checkPermissions(r.Method); err != nil {
			return 0, nil, "", err
		}
		for _, v := range m[1:] {
			id, _ := strconv.ParseInt(v, 10, 64)
			c.ids = append(c.ids, id)
		}
		if r.Method != http.MethodGet {
			done, refused := s.admitWrite(r)
			if refused != nil {
				return 0, nil, "", refused
			}
			status, out, err := h(s, c)
			done(err == nil)
			return status, out, rt.pattern, err
		}
		status, out, err := h(s, c)
		return status, out, rt.pattern, err
	}
	return 0, nil, "", noRoute
}

func (s *Server) count(call, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if call != "" {
		s.stats.Calls[call]++
	}
	if code != "" {
		s.stats.Errors[code]++
	}
}

func writeJSON(w http.ResponseWriter, status int, h http.Header, v any) {
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// pageParams reads WordPress's collection parameters page (≥ 1, default
// 1) and per_page (1 to 100, default 10).
func pageParams(c *call) (page, perPage int, err *apiError) {
	q := c.r.URL.Query()
	page, perPage = 1, 10
	bad := map[string]string{}
	if v := q.Get("page"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 {
			bad["page"] = "page must be greater than or equal to 1"
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > 100 {
			bad["per_page"] = "per_page must be between 1 (inclusive) and 100 (inclusive)"
		}
		perPage = n
	}
	if len(bad) > 0 {
		names := make([]string, 0, len(bad))
		for k := range bad {
			names = append(names, k)
		}
		e := newError(http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+strings.Join(names, ", "))
		e.Data["params"] = bad
		return 0, 0, e
	}
	return page, perPage, nil
}

// paginate copies one page out of all and sets X-WP-Total and
// X-WP-TotalPages.
func paginate[T any](c *call, all []*T, page, perPage int) []T {
	n := len(all)
	c.header.Set("X-WP-Total", strconv.Itoa(n))
	c.header.Set("X-WP-TotalPages", strconv.Itoa((n+perPage-1)/perPage))
	from := min((page-1)*perPage, n)
	out := make([]T, 0, min(from+perPage, n)-from)
	for _, v := range all[from:min(from+perPage, n)] {
		out = append(out, *v)
	}
	return out
}

func (s *Server) listProducts(c *call) (int, any, *apiError) {
	page, perPage, err := pageParams(c)
	if err != nil {
		return 0, nil, err
	}
	q := c.r.URL.Query()
	var skus []string
	if v := q.Get("sku"); v != "" {
		// "sku" takes a comma-separated list (prepare_objects_query).
		skus = append(strings.Split(v, ","), v)
	}
	var include []int64
	if v := q.Get("include"); v != "" {
		for _, f := range strings.Split(v, ",") {
			id, e := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if e != nil {
				return 0, nil, newError(http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): include")
			}
			include = append(include, id)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return http.StatusOK, paginate(c, s.state.list(skus, include, q.Get("order") == "asc"), page, perPage), nil
}

func (s *Server) getProduct(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.state.products[c.ids[0]]
	if !ok {
		return 0, nil, errInvalidID(postProduct, http.StatusNotFound)
	}
	return http.StatusOK, *p, nil
}

func (s *Server) listVariations(c *call) (int, any, *apiError) {
	page, perPage, err := pageParams(c)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Variation
	if p, ok := s.state.products[c.ids[0]]; ok {
		all = s.state.variationsOf(p)
	}
	return http.StatusOK, paginate(c, all, page, perPage), nil
}

func (s *Server) createOne(c *call) (int, any, *apiError) {
	in, err := decodeInput(c.body, false)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.state.createProduct(in, s.now())
	if err != nil {
		return 0, nil, err
	}
	c.changes = append(c.changes, productChange("created", p))
	return http.StatusCreated, *p, nil
}

func (s *Server) updateOne(c *call) (int, any, *apiError) {
	in, err := decodeInput(c.body, false)
	if err != nil {
		return 0, nil, err
	}
	n := json.Number(strconv.FormatInt(c.ids[0], 10))
	in.ID = &n
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.state.products[c.ids[0]]; !ok {
		return 0, nil, errInvalidID(postProduct, http.StatusBadRequest)
	}
	p, err := s.state.updateProduct(in, s.now())
	if err != nil {
		return 0, nil, err
	}
	c.changes = append(c.changes, productChange("updated", p))
	return http.StatusOK, *p, nil
}

func (s *Server) deleteOne(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.state.deleteProduct(c.ids[0])
	if err != nil {
		return 0, nil, err
	}
	c.changes = append(c.changes, productChange("deleted", p))
	return http.StatusOK, *p, nil
}

// batchBody is a batch request as batch_items reads it.
type batchBody struct {
	Create []json.RawMessage `json:"create"`
	Update []json.RawMessage `json:"update"`
	Delete []json.RawMessage `json:"delete"`
}

// itemError is a refused item in a batch answer.
type itemError struct {
	ID    int64     `json:"id"`
	Error *apiError `json:"error"`
}

// readBatch decodes a batch and applies check_batch_limit.
func (s *Server) readBatch(c *call) (*batchBody, *apiError) {
	var b batchBody
	if err := json.Unmarshal(c.body, &b); err != nil {
		return nil, newError(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
	}
	if n := len(b.Create) + len(b.Update) + len(b.Delete); n > s.opts.BatchLimit {
		return nil, newError(http.StatusRequestEntityTooLarge, "woocommerce_rest_request_entity_too_large",
			fmt.Sprintf("Unable to accept more than %d items for this request.", s.opts.BatchLimit))
	}
	return &b, nil
}

// batchAnswer collects a batch's answer and counts its items.
type batchAnswer struct {
	s       *Server
	pattern string
	out     map[string][]any
}

func (a *batchAnswer) add(action string, id int64, v any, err *apiError) {
	if a.out[action] == nil {
		a.out[action] = []any{}
	}
	if err != nil {
		a.out[action] = append(a.out[action], itemError{ID: id, Error: err})
		a.s.stats.ItemErrors[err.Code]++
		return
	}
	a.out[action] = append(a.out[action], v)
	a.s.stats.Items[a.pattern+" "+action]++
}

// updateID is the id of a batch update, 0 when it has none.
func updateID(raw json.RawMessage) int64 {
	var u struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &u) != nil || u.ID == nil {
		return 0
	}
	return deleteID(u.ID)
}

func deleteID(raw json.RawMessage) int64 {
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
		n = json.Number(s)
	}
	id, _ := strconv.ParseInt(string(n), 10, 64)
	return id
}

// batchOps are what one batch route does with an item of each list:
// create and update take the item's object and return the id and the
// object answered (the id of the item refused, for an update); remove
// takes an id.
type batchOps struct {
	create, update func(raw json.RawMessage) (int64, any, *apiError)
	remove         func(id int64) (any, *apiError)
}

// runBatch is batch_items: the creates, then the updates, then the
// deletes (ids of 0 skipped), each answered in its list, in order, under
// one lock.
func (s *Server) runBatch(c *call, pattern string, ops batchOps) (int, any, *apiError) {
	b, err := s.readBatch(c)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &batchAnswer{s: s, pattern: pattern, out: map[string][]any{}}
	for _, raw := range b.Create {
		id, v, err := ops.create(raw)
		if err != nil {
			id = 0 // a refused create is answered with id 0
		}
		a.add("create", id, v, err)
	}
	for _, raw := range b.Update {
		id, v, err := ops.update(raw)
		a.add("update", id, v, err)
	}
	for _, raw := range b.Delete {
		if id := deleteID(raw); id != 0 {
			v, err := ops.remove(id)
			a.add("delete", id, v, err)
		}
	}
	return http.StatusOK, a.out, nil
}

func (s *Server) productsBatch(c *call) (int, any, *apiError) {
	write := func(event string, raw json.RawMessage, do func(*input, time.Time) (*Product, *apiError)) (int64, any, *apiError) {
		in, err := decodeInput(raw, false)
		if err != nil {
			return 0, nil, err
		}
		p, err := do(in, s.now())
		if err != nil {
			return in.id(), nil, err
		}
		c.changes = append(c.changes, productChange(event, p))
		return p.ID, *p, nil
	}
	return s.runBatch(c, "products/batch", batchOps{
		create: func(raw json.RawMessage) (int64, any, *apiError) {
			return write("created", raw, s.state.createProduct)
		},
		update: func(raw json.RawMessage) (int64, any, *apiError) {
			s.landRace(updateID(raw), c)
			return write("updated", raw, s.state.updateProduct)
		},
		remove: func(id int64) (any, *apiError) {
			p, err := s.state.deleteProduct(id)
			if err != nil {
				return nil, err
			}
			c.changes = append(c.changes, productChange("deleted", p))
			return *p, nil
		},
	})
}

func (s *Server) variationsBatch(c *call) (int, any, *apiError) {
	parent := c.ids[0]
	changed := false
	write := func(raw json.RawMessage, do func(int64, *input, time.Time) (*Variation, *apiError)) (int64, any, *apiError) {
		in, err := decodeInput(raw, true)
		if err != nil {
			return 0, nil, err
		}
		v, err := do(parent, in, s.now())
		if err != nil {
			return in.id(), nil, err
		}
		changed = true
		return v.ID, *v, nil
	}
	status, out, err := s.runBatch(c, "products/{id}/variations/batch", batchOps{
		create: func(raw json.RawMessage) (int64, any, *apiError) { return write(raw, s.state.createVariation) },
		update: func(raw json.RawMessage) (int64, any, *apiError) {
			s.landRace(updateID(raw), c)
			return write(raw, s.state.updateVariation)
		},
		remove: func(id int64) (any, *apiError) {
			v, err := s.state.deleteVariation(parent, id, s.now())
			if err != nil {
				return nil, err
			}
			changed = true
			return *v, nil
		},
	})
	// A change of variations is a change of the product: one
	// product.updated per request, as is_already_processed allows.
	if err == nil && changed {
		s.mu.Lock()
		if p, ok := s.state.products[parent]; ok {
			c.changes = append(c.changes, productChange("updated", p))
		}
		s.mu.Unlock()
	}
	return status, out, err
}
