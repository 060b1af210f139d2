package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/sdk"
)

// Feed formats.
const (
	formatCSV  = "csv"
	formatJSON = "json"
)

// CSV columns. Every other column named option:<name> is a variant
// option, e.g. option:颜色. Column names are matched case-insensitively.
const (
	colID          = "id"
	colTitle       = "title"
	colDescription = "description"
	colURL         = "url"
	colSKU         = "sku"
	colPrice       = "price"
	colStock       = "stock"
	colBarcode     = "barcode"
	colImage       = "image"
	optionPrefix   = "option:"
)

// CodeMalformedRow is the code of the per-item INVALID error of a product
// whose feed rows cannot be read; the message names the row.
const CodeMalformedRow = "malformed_row"

// CodeMalformedFeed is the code of the INVALID error of a whole call when
// the feed itself cannot be read (no header, not JSON).
const CodeMalformedFeed = "malformed_feed"

// row is one variant as the feed gives it, before any checking.
type row struct {
	// where names the row for error messages: "row 7" in a CSV (the line,
	// counting the header as row 1), "products[2].variants[0]" in JSON.
	where                              string
	id, title, description, productURL string
	images                             []string
	sku, price, stock, barcode, image  string
	options                            []sdk.Option
	// broken says why the row cannot be read at all.
	broken error
}

// catalog is a parsed feed: its products in feed order, and for each
// product whose rows are malformed, the error that replaces it.
type catalog struct {
	ids      []string
	products map[string]*sdk.Product
	errs     map[string]*sdk.Error
}

// settings are what parsing needs from the config.
type settings struct {
	currency, locale string
}

// parseFeed reads a feed document in the given format into a catalog.
// An error concerns the whole document; a bad row only fails its product.
func parseFeed(format string, body []byte, s settings) (*catalog, error) {
	var rows []row
	var err error
	switch format {
	case formatCSV:
		rows, err = csvRows(body)
	case formatJSON:
		rows, err = jsonRows(body)
	default:
		err = fmt.Errorf("unknown feed format %q", format)
	}
	if err != nil {
		return nil, err
	}
	return buildCatalog(rows, s), nil
}

func csvRows(body []byte) ([]row, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("the CSV feed has no header row: %w", err)
	}
	col := map[string]int{}
	var options []string
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		col[name] = i
		if opt, ok := strings.CutPrefix(name, optionPrefix); ok {
			options = append(options, strings.TrimSpace(header[i])[len(optionPrefix):])
			col[optionPrefix+opt] = i
		}
	}
	for _, need := range []string{colID, colTitle, colPrice} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("the CSV feed has no %q column (columns: %s)", need, strings.Join(header, ", "))
		}
	}
	var rows []row
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			// A broken quote cannot be split into fields; the row has no
			// product to fail, so it is left out.
			continue
		} else if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		rw := row{
			where: "row " + strconv.Itoa(line),
			id:    get(colID), title: get(colTitle), description: get(colDescription), productURL: get(colURL),
			sku: get(colSKU), price: get(colPrice), stock: get(colStock), barcode: get(colBarcode), image: get(colImage),
		}
		if len(rec) != len(header) {
			rw.broken = fmt.Errorf("%d fields where the header has %d", len(rec), len(header))
		}
		for _, name := range options {
			if v := get(optionPrefix + strings.ToLower(name)); v != "" {
				rw.options = append(rw.options, sdk.Option{Name: name, Value: v})
			}
		}
		rows = append(rows, rw)
	}
}

// jsonFeed is the JSON form: products with their variants. A product
// without variants carries sku, price and stock itself.
type jsonFeed struct {
	Products []jsonProduct `json:"products"`
}

type jsonProduct struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Description string        `json:"description"`
	URL         string        `json:"url"`
	Images      []string      `json:"images"`
	Variants    []jsonVariant `json:"variants"`
	jsonVariant
}

type jsonVariant struct {
	SKU     string       `json:"sku"`
	Price   json.Number  `json:"price"`
	Stock   json.Number  `json:"stock"`
	Barcode string       `json:"barcode"`
	Image   string       `json:"image"`
	Options []sdk.Option `json:"options"`
}

func jsonRows(body []byte) ([]row, error) {
	var feed jsonFeed
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&feed); err != nil {
		return nil, fmt.Errorf("the JSON feed is not an object with a products list: %w", err)
	}
	var rows []row
	for i, p := range feed.Products {
		variants := p.Variants
		if len(variants) == 0 {
			variants = []jsonVariant{p.jsonVariant}
		}
		for k, v := range variants {
			where := fmt.Sprintf("products[%d]", i)
			if len(p.Variants) > 0 {
				where += fmt.Sprintf(".variants[%d]", k)
			}
			rows = append(rows, row{
				where: where,
				id:    strings.TrimSpace(p.ID), title: p.Title, description: p.Description, productURL: p.URL, images: p.Images,
				sku: v.SKU, price: v.Price.String(), stock: v.Stock.String(), barcode: v.Barcode, image: v.Image, options: v.Options,
			})
		}
	}
	return rows, nil
}

// buildCatalog groups rows into products by id, in the order ids first
// appear. Rows without an id belong to no product and are left out.
func buildCatalog(rows []row, s settings) *catalog {
	c := &catalog{products: map[string]*sdk.Product{}, errs: map[string]*sdk.Error{}}
	byID := map[string][]row{}
	for _, r := range rows {
		if r.id == "" {
			continue
		}
		if _, seen := byID[r.id]; !seen {
			c.ids = append(c.ids, r.id)
		}
		byID[r.id] = append(byID[r.id], r)
	}
	for _, id := range c.ids {
		p, err := buildProduct(id, byID[id], s)
		if err != nil {
			c.errs[id] = sdk.Invalid(CodeMalformedRow, err.Error())
			continue
		}
		c.products[id] = p
	}
	return c
}

// buildProduct maps one product's rows to the canonical model. The first
// row carries the product's title, description and URL; later rows may
// leave them empty. The product is validated here, so the plugin never
// relies on the host to catch a mapping mistake.
func buildProduct(id string, rows []row, s settings) (*sdk.Product, error) {
	first := rows[0]
	p := &sdk.Product{ID: id, Source: pluginName, Title: map[string]string{}, URL: first.productURL}
	if first.title == "" {
		return nil, fmt.Errorf("%s: product %s has no title", first.where, id)
	}
	p.Title[s.locale] = first.title
	if first.description != "" {
		p.Description = map[string]string{s.locale: first.description}
	}
	seen := map[string]bool{}
	addImage := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			p.Images = append(p.Images, sdk.Image{URL: u})
		}
	}
	for _, u := range first.images {
		addImage(u)
	}
	for _, r := range rows {
		v, err := variant(id, r, len(rows), s.currency)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.where, err)
		}
		addImage(v.Image)
		p.Variants = append(p.Variants, v)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: product %s: %w", first.where, id, err)
	}
	return p, nil
}

func variant(id string, r row, rowsOfProduct int, cur string) (sdk.Variant, error) {
	if r.broken != nil {
		return sdk.Variant{}, r.broken
	}
	v := sdk.Variant{SKU: r.sku, Barcode: r.barcode, Image: r.image, Options: r.options}
	if v.SKU == "" {
		if rowsOfProduct > 1 {
			return v, errors.New("sku is empty; a product with several rows needs one per row")
		}
		v.SKU = id
	}
	amount, err := parsePrice(r.price, cur)
	if err != nil {
		return v, err
	}
	v.Price = sdk.Money{Amount: amount, Currency: cur}
	if r.stock != "" {
		n, err := strconv.ParseInt(r.stock, 10, 64)
		if err != nil || n < 0 {
			return v, fmt.Errorf("stock %q is not a whole number of at least 0", r.stock)
		}
		v.Stock = n
	}
	return v, nil
}
