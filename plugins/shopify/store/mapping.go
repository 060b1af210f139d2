package store

import (
	"fmt"
	"html"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// defaultOption is the option Shopify gives a product without options
// (one variant, "Title: Default Title").
const (
	defaultOptionName  = "Title"
	defaultOptionValue = "Default Title"
)

// decimal writes minor units as a decimal with digits decimals: the Money
// scalar's form ("19.99").
func decimal(minor int64, digits int) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := strconv.FormatInt(minor, 10)
	if digits > 0 {
		for len(s) <= digits {
			s = "0" + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// parseDecimal reads a decimal into minor units of digits decimals.
func parseDecimal(v string, digits int) (int64, error) {
	whole, frac, _ := strings.Cut(v, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits {
		return 0, fmt.Errorf("%q has more than %d decimals", v, digits)
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a decimal", v)
	}
	return n, nil
}

// pick is the text of m in locale, else in its first locale by name.
func pick(m map[string]string, locale string) string {
	if t, ok := m[locale]; ok && t != "" {
		return t
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m[k] != "" {
			return m[k]
		}
	}
	return ""
}

// customID is the value of the product's custom ID metafield.
func customID(p *sdk.Product) string { return p.Source + ":" + p.ID }

// identifier says which product a productSet writes: the bound one by
// id, or the one whose custom ID is the product's source identity (made
// when there is none), so a repeated create updates what the first made.
func identifier(it *sdk.UpsertItem) map[string]any {
	if it.RemoteID != "" {
		return map[string]any{"id": it.RemoteID}
	}
	return map[string]any{"customId": map[string]any{"namespace": metaNamespace, "key": metaKey, "value": customID(&it.Product)}}
}

// setInput maps a product to ProductSetInput: options, the full variant
// list (productSet deletes variants left out), media, and the custom ID
// metafield. A price in another currency than the store's fails the item.
func (s *settings) setInput(p *sdk.Product) (map[string]any, *sdk.Error) {
	title := pick(p.Title, s.locale)
	var names []string
	values := map[string][]string{}
	for _, v := range p.Variants {
		for _, o := range v.Options {
			if !slices.Contains(names, o.Name) {
				names = append(names, o.Name)
			}
			if !slices.Contains(values[o.Name], o.Value) {
				values[o.Name] = append(values[o.Name], o.Value)
			}
		}
	}
	if len(names) == 0 {
		names = []string{defaultOptionName}
		values[defaultOptionName] = []string{defaultOptionValue}
	}
	var options []map[string]any
	for i, n := range names {
		var vs []map[string]any
		for _, v := range values[n] {
			vs = append(vs, map[string]any{"name": v})
		}
		options = append(options, map[string]any{"name": n, "position": i + 1, "values": vs})
	}
	var variants []map[string]any
	for i, v := range p.Variants {
		if v.Price.Currency != s.currency {
			return nil, sdk.Invalid("currency_mismatch", fmt.Sprintf("variants.%d.price: %s is not in the store's currency %s", i, v.Price, s.currency))
		}
		var ov []map[string]any
		for _, o := range v.Options {
			ov = append(ov, map[string]any{"optionName": o.Name, "name": o.Value})
		}
		if len(v.Options) == 0 {
			ov = []map[string]any{{"optionName": defaultOptionName, "name": defaultOptionValue}}
		}
		in := map[string]any{
			"optionValues":  ov,
			"price":         decimal(v.Price.Amount, s.digits),
			"inventoryItem": map[string]any{"sku": v.SKU, "tracked": true},
			// Applies to variants productSet creates; the stock of
			// existing ones changes through SetInventory.
			"inventoryQuantities": []map[string]any{{"locationId": s.location, "name": "available", "quantity": v.Stock}},
		}
		// null clears a compare-at price the variant had; one not
		// above the price is left out as no sale.
		in["compareAtPrice"] = nil
		if was := v.SaleCompareAt(); was != nil {
			in["compareAtPrice"] = decimal(was.Amount, s.digits)
		}
		if v.Barcode != "" {
			in["barcode"] = v.Barcode
		}
		variants = append(variants, in)
	}
	var files []map[string]any
	for _, img := range p.Images {
		f := map[string]any{"originalSource": img.URL, "contentType": "IMAGE"}
		if alt := pick(img.Alt, s.locale); alt != "" {
			f["alt"] = alt
		}
		files = append(files, f)
	}
	in := map[string]any{
		"title":          title,
		"productOptions": options,
		"variants":       variants,
		"files":          files,
		"metafields":     []map[string]any{{"namespace": metaNamespace, "key": metaKey, "type": "id", "value": customID(p)}},
	}
	if d := pick(p.Description, s.locale); d != "" {
		in["descriptionHtml"] = html.EscapeString(d)
	}
	// Without a status the store keeps its own (ACTIVE on create).
	if st, ok := statusOut[p.Status]; ok {
		in["status"] = st
	}
	return in, nil
}

// statusOut is ProductStatus for each status the model writes
// (https://shopify.dev/docs/api/admin-graphql/2026-04/enums/ProductStatus).
var statusOut = map[sdk.Status]string{sdk.StatusActive: "ACTIVE", sdk.StatusDraft: "DRAFT"}

// statusIn reads ProductStatus back. ARCHIVED (and any state the model
// lacks) reads as no status, so that a full write keeps it instead of
// turning an archived product into a draft.
func statusIn(s string) sdk.Status {
	switch s {
	case "ACTIVE":
		return sdk.StatusActive
	case "DRAFT":
		return sdk.StatusDraft
	}
	return ""
}

// productFields is the selection of a product read back.
const productFields = `id title descriptionHtml status updatedAt
	options { name values }
	media(first: 20) { nodes { mediaContentType ... on MediaImage { image { url } } } }
	metafields(first: 5, namespace: "` + metaNamespace + `") { nodes { namespace key value } }
	variants(first: 100) { nodes { id sku price compareAtPrice barcode inventoryQuantity selectedOptions { name value } inventoryItem { id } } }`

type productNode struct {
	ID              string `json:"id"`
	Title           string `json:"title"`
	DescriptionHTML string `json:"descriptionHtml"`
	Status          string `json:"status"`
	UpdatedAt       string `json:"updatedAt"`
	Options         []struct {
		Name   string   `json:"name"`
		Values []string `json:"values"`
	} `json:"options"`
	Media struct {
		Nodes []struct {
			Image *struct {
				URL string `json:"url"`
			} `json:"image"`
		} `json:"nodes"`
	} `json:"media"`
	Metafields struct {
		Nodes []struct {
			Namespace string `json:"namespace"`
			Key       string `json:"key"`
			Value     string `json:"value"`
		} `json:"nodes"`
	} `json:"metafields"`
	Variants struct {
		Nodes []variantNode `json:"nodes"`
	} `json:"variants"`
}

type variantNode struct {
	ID                string  `json:"id"`
	SKU               string  `json:"sku"`
	Price             string  `json:"price"`
	CompareAtPrice    *string `json:"compareAtPrice"`
	Barcode           string  `json:"barcode"`
	InventoryQuantity int64   `json:"inventoryQuantity"`
	SelectedOptions   []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"selectedOptions"`
	InventoryItem struct {
		ID string `json:"id"`
	} `json:"inventoryItem"`
}

// product maps a product read back into the canonical model: its id is
// the store's (the remote id), its source "shopify", and its custom ID
// metafield an attribute.
func (s *settings) product(n *productNode) (*sdk.Product, *sdk.Error) {
	p := &sdk.Product{ID: n.ID, Source: Name, Title: map[string]string{s.locale: n.Title}, Status: statusIn(n.Status)}
	if n.DescriptionHTML != "" {
		p.Description = map[string]string{s.locale: html.UnescapeString(n.DescriptionHTML)}
	}
	if t, err := time.Parse(time.RFC3339, n.UpdatedAt); err == nil {
		p.UpdatedAt = t
	}
	for _, m := range n.Media.Nodes {
		if m.Image != nil && m.Image.URL != "" {
			p.Images = append(p.Images, sdk.Image{URL: m.Image.URL})
		}
	}
	for _, m := range n.Metafields.Nodes {
		if m.Namespace == metaNamespace && m.Key == metaKey {
			p.Attributes = append(p.Attributes, sdk.Attribute{Name: metaNamespace + "." + metaKey, Value: m.Value})
		}
	}
	for _, v := range n.Variants.Nodes {
		amount, err := parseDecimal(v.Price, s.digits)
		if err != nil {
			return nil, sdk.Invalid("malformed_product", fmt.Sprintf("variant %s: price %v", v.ID, err))
		}
		out := sdk.Variant{SKU: v.SKU, Price: sdk.Money{Amount: amount, Currency: s.currency}, Stock: v.InventoryQuantity, Barcode: v.Barcode}
		if v.CompareAtPrice != nil {
			was, err := parseDecimal(*v.CompareAtPrice, s.digits)
			if err != nil {
				return nil, sdk.Invalid("malformed_product", fmt.Sprintf("variant %s: compareAtPrice %v", v.ID, err))
			}
			out.CompareAt = &sdk.Money{Amount: was, Currency: s.currency}
		}
		for _, o := range v.SelectedOptions {
			if o.Name == defaultOptionName && o.Value == defaultOptionValue {
				continue
			}
			out.Options = append(out.Options, sdk.Option{Name: o.Name, Value: o.Value})
		}
		p.Variants = append(p.Variants, out)
	}
	return p, nil
}
