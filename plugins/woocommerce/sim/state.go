package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Image is a product image as the API shows it.
type Image struct {
	ID   int64  `json:"id"`
	Src  string `json:"src"`
	Name string `json:"name"`
	Alt  string `json:"alt"`
}

// Attribute is a product attribute: a custom one (id 0) with its
// options, used for variations or only shown.
type Attribute struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Position  int      `json:"position"`
	Visible   bool     `json:"visible"`
	Variation bool     `json:"variation"`
	Options   []string `json:"options"`
}

// VariationAttribute is the option a variation has on one attribute.
type VariationAttribute struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Option string `json:"option"`
}

// Product is a product as GET products/{id} shows it (the fields the
// simulator keeps).
type Product struct {
	ID               int64       `json:"id"`
	Name             string      `json:"name"`
	Slug             string      `json:"slug"`
	Type             string      `json:"type"`
	Status           string      `json:"status"`
	Description      string      `json:"description"`
	ShortDescription string      `json:"short_description"`
	Attributes       []Attribute `json:"attributes"`
	Variations       []int64     `json:"variations"`
	Images           []Image     `json:"images"`
	DateCreatedGMT   string      `json:"date_created_gmt"`
	Sellable
}

// Sellable is what products and variations both have: SKU, price and
// stock (WC_Product, which WC_Product_Variation extends).
type Sellable struct {
	SKU             string `json:"sku"`
	GlobalUniqueID  string `json:"global_unique_id"`
	Price           string `json:"price"`
	RegularPrice    string `json:"regular_price"`
	SalePrice       string `json:"sale_price"`
	OnSale          bool   `json:"on_sale"`
	ManageStock     bool   `json:"manage_stock"`
	StockQuantity   *int64 `json:"stock_quantity"`
	StockStatus     string `json:"stock_status"`
	DateModifiedGMT string `json:"date_modified_gmt"`
	// MetaData is the object's custom fields (WC_Data's meta_data).
	MetaData []Meta `json:"meta_data"`
}

// Meta is one custom field as the API shows it.
type Meta struct {
	ID    int64  `json:"id"`
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Variation is a variation as GET products/{id}/variations shows it.
type Variation struct {
	ID         int64                `json:"id"`
	ParentID   int64                `json:"parent_id"`
	Attributes []VariationAttribute `json:"attributes"`
	Image      *Image               `json:"image"`
	Sellable
}

// input is the writable fields of a product or a variation in a create
// or update; absent fields are left as they are.
type input struct {
	ID               *json.Number         `json:"id"`
	Name             *string              `json:"name"`
	Type             *string              `json:"type"`
	Status           *string              `json:"status"`
	Description      *string              `json:"description"`
	ShortDescription *string              `json:"short_description"`
	SKU              *string              `json:"sku"`
	GlobalUniqueID   *string              `json:"global_unique_id"`
	RegularPrice     *string              `json:"regular_price"`
	SalePrice        *string              `json:"sale_price"`
	ManageStock      *bool                `json:"manage_stock"`
	StockQuantity    *json.Number         `json:"stock_quantity"`
	Attributes       *json.RawMessage     `json:"attributes"`
	Images           *[]Image             `json:"images"`
	Image            *Image               `json:"image"`
	ParentID         *json.Number         `json:"parent_id"`
	MetaData         *[]metaInput         `json:"meta_data"`
	variationAttrs   []VariationAttribute // decoded from Attributes for variations
	productAttrs     []Attribute          // decoded from Attributes for products
}

// metaInput is a meta_data entry of a write: WC_REST_Products_Controller
// calls update_meta_data(key, value, id) for each, which changes the
// entry with that id, else the first with that key, else adds one.
type metaInput struct {
	ID    *json.Number `json:"id"`
	Key   string       `json:"key"`
	Value any          `json:"value"`
}

// apiError is WordPress's error object with its HTTP status.
type apiError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

func newError(status int, code, msg string) *apiError {
	return &apiError{Code: code, Message: msg, Data: map[string]any{"status": status}}
}

func (e *apiError) status() int {
	if s, ok := e.Data["status"].(int); ok {
		return s
	}
	return http.StatusBadRequest
}

// The errors, with WooCommerce's codes and messages.
func errInvalidID(postType string, status int) *apiError {
	return newError(status, "woocommerce_rest_"+postType+"_invalid_id", "Invalid ID.")
}

func errExists(postType string) *apiError {
	return newError(http.StatusBadRequest, "woocommerce_rest_"+postType+"_exists", fmt.Sprintf("Cannot create existing %s.", postType))
}

// errSKU is WC_Product::set_sku's refusal of a SKU another product or
// variation has.
func errSKU(owner int64, sku string) *apiError {
	e := newError(http.StatusBadRequest, "product_invalid_sku", "Invalid or duplicated SKU.")
	e.Data["resource_id"] = owner
	e.Data["unique_sku"] = sku + "-1"
	return e
}

func errInvalidParent() *apiError {
	return newError(http.StatusNotFound, "woocommerce_rest_product_variation_invalid_parent", "Invalid parent product.")
}

const (
	postProduct   = "product"
	postVariation = "product_variation"
)

// state is the store's data. Products and variations share one id
// sequence, as WordPress posts do, and one SKU space (wc_product_has_unique_sku).
type state struct {
	next       int64
	nextMeta   int64 // meta ids have their own sequence, as wp_postmeta's
	products   map[int64]*Product
	variations map[int64]*Variation
	skus       map[string]int64
}

func newState() *state {
	return &state{next: 100, products: map[int64]*Product{}, variations: map[int64]*Variation{}, skus: map[string]int64{}}
}

func (st *state) id() int64 { st.next++; return st.next }

func gmt(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// decimal is what wc_format_decimal keeps of a price: a plain decimal
// number, or "" for anything else (WooCommerce does not refuse a
// malformed price, it empties it).
var decimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

func formatDecimal(s string) string {
	s = strings.TrimSpace(s)
	if !decimal.MatchString(s) {
		return ""
	}
	return s
}

// checkSKU refuses a SKU that another object than self has.
func (st *state) checkSKU(sku string, self int64) *apiError {
	if sku == "" {
		return nil
	}
	if owner, ok := st.skus[sku]; ok && owner != self {
		return errSKU(owner, sku)
	}
	return nil
}

func (st *state) setSKU(old, sku string, id int64) {
	if old != "" {
		delete(st.skus, old)
	}
	if sku != "" {
		st.skus[sku] = id
	}
}

func stockStatus(manage bool, qty *int64) string {
	if manage && qty != nil && *qty <= 0 {
		return "outofstock"
	}
	return "instock"
}

func quantity(n *json.Number) (*int64, *apiError) {
	if n == nil {
		return nil, nil
	}
	if *n == "" {
		return nil, nil
	}
	// wc_stock_amount casts to an integer.
	v, err := strconv.ParseFloat(string(*n), 64)
	if err != nil {
		return nil, newError(http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): stock_quantity")
	}
	q := int64(v)
	return &q, nil
}

func decodeInput(raw json.RawMessage, variation bool) (*input, *apiError) {
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, newError(http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+err.Error())
	}
	if in.Attributes != nil {
		var err error
		if variation {
			err = json.Unmarshal(*in.Attributes, &in.variationAttrs)
		} else {
			err = json.Unmarshal(*in.Attributes, &in.productAttrs)
		}
		if err != nil {
			return nil, newError(http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): attributes")
		}
	}
	return &in, nil
}

func (in *input) id() int64 {
	if in.ID == nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(*in.ID), 10, 64)
	return n
}

// createProduct is WC_REST_Products_Controller::create_item for one item.
func (st *state) createProduct(in *input, now time.Time) (*Product, *apiError) {
	if in.id() != 0 {
		return nil, errExists(postProduct)
	}
	p := &Product{Type: "simple", Status: "publish", Sellable: Sellable{StockStatus: "instock"}, Attributes: []Attribute{}, Variations: []int64{}, Images: []Image{}, DateCreatedGMT: gmt(now)}
	if err := st.applyProduct(p, in, now); err != nil {
		return nil, err
	}
	p.ID = st.id()
	st.setSKU("", p.SKU, p.ID)
	st.products[p.ID] = p
	if p.Name == "" { // wp_insert_post's title for an unnamed product
		p.Name = "Product"
	}
	p.Slug = fmt.Sprintf("product-%d", p.ID)
	return p, nil
}

// updateProduct is update_item for one item; a missing id is 400 inside
// a batch (WC_REST_CRUD_Controller::update_item).
func (st *state) updateProduct(in *input, now time.Time) (*Product, *apiError) {
	p, ok := st.products[in.id()]
	if !ok {
		return nil, errInvalidID(postProduct, http.StatusBadRequest)
	}
	old := p.SKU
	if err := st.applyProduct(p, in, now); err != nil {
		return nil, err
	}
	st.setSKU(old, p.SKU, p.ID)
	return p, nil
}

// checkSellable checks what WooCommerce refuses before anything is
// written (a SKU another object has) and reads the stock quantity.
func (st *state) checkSellable(in *input, self int64) (*int64, *apiError) {
	if in.SKU != nil {
		if err := st.checkSKU(strings.TrimSpace(*in.SKU), self); err != nil {
			return nil, err
		}
	}
	return quantity(in.StockQuantity)
}

// apply sets the sellable fields in carries; qty is checkSellable's,
// metaID gives ids to new custom fields.
func (c *Sellable) apply(in *input, qty *int64, now time.Time, metaID func() int64) {
	if in.SKU != nil {
		c.SKU = strings.TrimSpace(*in.SKU)
	}
	set(&c.GlobalUniqueID, in.GlobalUniqueID)
	if in.RegularPrice != nil {
		c.RegularPrice = formatDecimal(*in.RegularPrice)
	}
	if in.SalePrice != nil {
		c.SalePrice = formatDecimal(*in.SalePrice)
	}
	// price is read-only, derived: the sale price while the product is
	// on sale (a sale price below the regular one), else the regular
	// price (WC_Product::is_on_sale and the data store's
	// handle_updated_props, woocommerce/woocommerce@trunk:
	// plugins/woocommerce/includes/abstracts/abstract-wc-product.php).
	c.OnSale = c.SalePrice != "" && decimalLess(c.SalePrice, c.RegularPrice)
	c.Price = c.RegularPrice
	if c.OnSale {
		c.Price = c.SalePrice
	}
	if in.ManageStock != nil {
		c.ManageStock = *in.ManageStock
	}
	if in.StockQuantity != nil {
		c.StockQuantity = qty
	}
	c.StockStatus = stockStatus(c.ManageStock, c.StockQuantity)
	c.DateModifiedGMT = gmt(now)
	if c.MetaData == nil {
		c.MetaData = []Meta{}
	}
	if in.MetaData != nil {
		for _, m := range *in.MetaData {
			c.setMeta(m, metaID)
		}
	}
}

// setMeta is WC_Data::update_meta_data.
func (c *Sellable) setMeta(m metaInput, metaID func() int64) {
	var id int64
	if m.ID != nil {
		id, _ = strconv.ParseInt(string(*m.ID), 10, 64)
	}
	for i := range c.MetaData {
		if id != 0 && c.MetaData[i].ID == id || id == 0 && c.MetaData[i].Key == m.Key {
			c.MetaData[i].Key, c.MetaData[i].Value = m.Key, m.Value
			return
		}
	}
	c.MetaData = append(c.MetaData, Meta{ID: metaID(), Key: m.Key, Value: m.Value})
}

func (st *state) metaID() int64 { st.nextMeta++; return st.nextMeta }

// applyProduct sets the fields in carries, after checking what
// WooCommerce checks; p.ID is 0 for a new product.
func (st *state) applyProduct(p *Product, in *input, now time.Time) *apiError {
	qty, err := st.checkSellable(in, p.ID)
	if err != nil {
		return err
	}
	if in.Type != nil {
		switch *in.Type {
		case "simple", "variable", "grouped", "external":
			p.Type = *in.Type
		default:
			return newError(http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): type")
		}
	}
	// Product status: draft, pending, private, publish (and future for a
	// scheduled post), "Product properties",
	// https://woocommerce.github.io/woocommerce-rest-api-docs/#product-properties.
	if in.Status != nil && !slices.Contains([]string{"draft", "pending", "private", "publish", "future"}, *in.Status) {
		return newError(http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): status")
	}
	set(&p.Name, in.Name)
	set(&p.Status, in.Status)
	set(&p.Description, in.Description)
	set(&p.ShortDescription, in.ShortDescription)
	if in.productAttrs != nil {
		p.Attributes = in.productAttrs
		for i := range p.Attributes {
			p.Attributes[i].Position = i
			if p.Attributes[i].Options == nil {
				p.Attributes[i].Options = []string{}
			}
		}
	}
	if in.Images != nil {
		p.Images = make([]Image, len(*in.Images))
		for i, im := range *in.Images {
			im.ID = st.id()
			p.Images[i] = im
		}
	}
	p.Sellable.apply(in, qty, now, st.metaID)
	return nil
}

// decimalLess compares two prices as WooCommerce does (as numbers); an
// empty or malformed one is never less.
func decimalLess(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	return errA == nil && errB == nil && x < y
}

func set(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// deleteProduct removes a product and its variations (force=true).
func (st *state) deleteProduct(id int64) (*Product, *apiError) {
	p, ok := st.products[id]
	if !ok {
		return nil, errInvalidID(postProduct, http.StatusNotFound)
	}
	for _, vid := range p.Variations {
		st.setSKU(st.variations[vid].SKU, "", vid)
		delete(st.variations, vid)
	}
	st.setSKU(p.SKU, "", id)
	delete(st.products, id)
	return p, nil
}

// createVariation is the variations controller's create_item for one
// item of parent.
func (st *state) createVariation(parent int64, in *input, now time.Time) (*Variation, *apiError) {
	if in.id() != 0 {
		return nil, errExists(postVariation)
	}
	p, ok := st.products[parent]
	if !ok {
		return nil, errInvalidParent()
	}
	v := &Variation{ParentID: parent, Sellable: Sellable{StockStatus: "instock"}, Attributes: []VariationAttribute{}}
	if err := st.applyVariation(v, in, now); err != nil {
		return nil, err
	}
	v.ID = st.id()
	st.setSKU("", v.SKU, v.ID)
	st.variations[v.ID] = v
	p.Variations = append(p.Variations, v.ID)
	st.refreshParent(p, now)
	return v, nil
}

func (st *state) updateVariation(parent int64, in *input, now time.Time) (*Variation, *apiError) {
	v, ok := st.variations[in.id()]
	if !ok || v.ParentID != parent {
		return nil, errInvalidID(postVariation, http.StatusBadRequest)
	}
	old := v.SKU
	if err := st.applyVariation(v, in, now); err != nil {
		return nil, err
	}
	st.setSKU(old, v.SKU, v.ID)
	st.refreshParent(st.products[parent], now)
	return v, nil
}

func (st *state) deleteVariation(parent, id int64, now time.Time) (*Variation, *apiError) {
	v, ok := st.variations[id]
	if !ok || v.ParentID != parent {
		return nil, errInvalidID(postVariation, http.StatusNotFound)
	}
	st.setSKU(v.SKU, "", id)
	delete(st.variations, id)
	p := st.products[parent]
	for i, vid := range p.Variations {
		if vid == id {
			p.Variations = append(p.Variations[:i], p.Variations[i+1:]...)
			break
		}
	}
	st.refreshParent(p, now)
	return v, nil
}

func (st *state) applyVariation(v *Variation, in *input, now time.Time) *apiError {
	qty, err := st.checkSellable(in, v.ID)
	if err != nil {
		return err
	}
	if in.variationAttrs != nil {
		v.Attributes = in.variationAttrs
	}
	if in.Image != nil {
		im := *in.Image
		im.ID = st.id()
		v.Image = &im
	}
	v.Sellable.apply(in, qty, now, st.metaID)
	return nil
}

// refreshParent derives a variable product's price (the lowest of its
// variations', as WC_Product_Variable syncs it) and stock status.
func (st *state) refreshParent(p *Product, now time.Time) {
	low, status := "", "outofstock"
	var lowCents float64
	for _, vid := range p.Variations {
		v := st.variations[vid]
		if f, err := strconv.ParseFloat(v.Price, 64); err == nil && (low == "" || f < lowCents) {
			low, lowCents = v.Price, f
		}
		if v.StockStatus == "instock" {
			status = "instock"
		}
	}
	if p.Type == "variable" {
		p.Price = low
		if len(p.Variations) > 0 {
			p.StockStatus = status
		}
	}
	p.DateModifiedGMT = gmt(now)
}

// list returns the products in WooCommerce's default order (date, then
// ID, descending), filtered by SKUs and ids when given.
func (st *state) list(skus []string, include []int64, asc bool) []*Product {
	var out []*Product
	want := map[int64]bool{}
	for _, id := range include {
		want[id] = true
	}
	wantSKU := map[string]bool{}
	for _, s := range skus {
		wantSKU[s] = true
	}
	for _, p := range st.products {
		if len(want) > 0 && !want[p.ID] || len(wantSKU) > 0 && !wantSKU[p.SKU] {
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if asc {
			return out[i].ID < out[j].ID
		}
		return out[i].ID > out[j].ID
	})
	return out
}

func (st *state) variationsOf(p *Product) []*Variation {
	out := make([]*Variation, 0, len(p.Variations))
	for _, id := range p.Variations {
		out = append(out, st.variations[id])
	}
	return out
}
