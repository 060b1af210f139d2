package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// MerchantUpdate changes a product or a variation as the merchant would
// in the WordPress admin: fields is an update as the API takes it
// (name, regular_price, stock_quantity, sku, …). The change fires the
// product.updated webhook of the product (of the variation's parent).
func (s *Server) MerchantUpdate(id int64, fields map[string]any) error {
	raw, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	ch, aerr := s.merchantUpdate(id, raw)
	if aerr != nil {
		return fmt.Errorf("%s: %s", aerr.Code, aerr.Message)
	}
	s.emit(s.homeURL(), []change{ch})
	return nil
}

func (s *Server) merchantUpdate(id int64, raw json.RawMessage) (change, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := json.Number(strconv.FormatInt(id, 10))
	if v, ok := s.state.variations[id]; ok {
		in, err := decodeInput(raw, true)
		if err != nil {
			return change{}, err
		}
		in.ID = &n
		if _, err := s.state.updateVariation(v.ParentID, in, now); err != nil {
			return change{}, err
		}
		return productChange("updated", s.state.products[v.ParentID]), nil
	}
	in, err := decodeInput(raw, false)
	if err != nil {
		return change{}, err
	}
	in.ID = &n
	p, err := s.state.updateProduct(in, now)
	if err != nil {
		return change{}, err
	}
	return productChange("updated", p), nil
}

// RaceStock arranges for the stock of a product or variation to become
// qty, as a sale or the merchant would set it, just before the next batch
// update of it is carried out: a change landing between a client's read
// and its write. It fires the product.updated webhook then.
func (s *Server) RaceStock(id, qty int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.state.products[id]; !ok {
		if _, ok := s.state.variations[id]; !ok {
			return fmt.Errorf("no product or variation %d", id)
		}
	}
	s.races[id] = qty
	return nil
}

// landRace carries out the race RaceStock arranged for id, if any, inside
// the request c; s.mu is held.
func (s *Server) landRace(id int64, c *call) {
	qty, ok := s.races[id]
	if !ok {
		return
	}
	delete(s.races, id)
	now := s.now()
	var sell *Sellable
	parent := s.state.products[id]
	if v, ok := s.state.variations[id]; ok {
		sell, parent = &v.Sellable, s.state.products[v.ParentID]
	} else if parent != nil {
		sell = &parent.Sellable
	}
	if sell == nil {
		return
	}
	sell.ManageStock, sell.StockQuantity = true, &qty
	sell.StockStatus = stockStatus(true, sell.StockQuantity)
	sell.DateModifiedGMT = gmt(now)
	if parent != nil {
		c.changes = append(c.changes, productChange("updated", parent))
	}
}

// SetHomeURL changes the store's home URL (Options.HomeURL).
func (s *Server) SetHomeURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.HomeURL = u
}

// homeURL is the configured home URL, for changes made outside a request.
func (s *Server) homeURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimRight(s.opts.HomeURL, "/")
}

// merchant serves POST /__sim/merchant/products/{id}: MerchantUpdate
// over HTTP, for demos and tests in another process. It needs no
// credentials and is not part of WooCommerce.
func (s *Server) merchant(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, merchantRoot), 10, 64)
	if err != nil || r.Method != http.MethodPost {
		writeJSON(w, http.StatusNotFound, nil, newError(http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method."))
		return
	}
	body, _, rerr := readBody(r)
	if rerr != nil {
		writeJSON(w, http.StatusBadRequest, nil, newError(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed."))
		return
	}
	ch, aerr := s.merchantUpdate(id, body)
	if aerr != nil {
		writeJSON(w, aerr.status(), nil, aerr)
		return
	}
	writeJSON(w, http.StatusOK, nil, json.RawMessage(ch.body))
	s.emit(s.home(r), []change{ch})
}

// Product returns a product and its variations as the API shows them.
func (s *Server) Product(id int64) (Product, []Variation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.state.products[id]
	if !ok {
		return Product{}, nil, false
	}
	var vs []Variation
	for _, v := range s.state.variationsOf(p) {
		vs = append(vs, *v)
	}
	return *p, vs, true
}

// ProductCount is the number of products in the store.
func (s *Server) ProductCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.state.products)
}

// IDBySKU returns the id of the product or variation with sku.
func (s *Server) IDBySKU(sku string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.state.skus[sku]
	return id, ok
}
