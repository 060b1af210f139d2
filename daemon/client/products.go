package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// Product is a product of the catalogue: the canonical model as collected,
// the name of the platform block it was collected through and when.
type Product struct {
	sdk.Product
	Platform    string    `json:"platform"`
	CollectedAt time.Time `json:"collected_at,omitzero"`
}

// Products is the handle on the catalogue endpoints.
type Products struct {
	client *Client
}

// Products returns the handle on the catalogue endpoints.
func (c *Client) Products() *Products { return &Products{client: c} }

// Info returns one product. id is "platform:id" (sandbox:100001) or a bare
// id, which the agent resolves when exactly one platform has it.
func (p *Products) Info(ctx context.Context, id string) (*Product, error) {
	var out Product
	if err := p.client.do(ctx, http.MethodGet, "/v1/products/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ProductListOptions select and page GET /v1/products. Platform, when set,
// keeps the products of that platform block; Cursor is the Next of the
// page before ("" for the first); a zero Limit takes the server's default.
type ProductListOptions struct {
	Platform string
	Cursor   string
	Limit    int
}

func (o ProductListOptions) query() url.Values {
	q := url.Values{}
	setQuery(q, "platform", o.Platform)
	setQuery(q, "cursor", o.Cursor)
	setQueryInt(q, "limit", o.Limit)
	return q
}

// ProductPage is one page of the catalogue, by platform then id.
type ProductPage struct {
	Products []Product `json:"products"`
	// Next is the Cursor of the following page; empty when this page is
	// the last.
	Next string `json:"next,omitempty"`
}

// List returns one page of the catalogue.
func (p *Products) List(ctx context.Context, opts ProductListOptions) (*ProductPage, error) {
	var page ProductPage
	if err := p.client.do(ctx, http.MethodGet, "/v1/products", opts.query(), nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// Each calls fn with every product that opts selects, page after page,
// until the last page or fn's error.
func (p *Products) Each(ctx context.Context, opts ProductListOptions, fn func(Product) error) error {
	for {
		page, err := p.List(ctx, opts)
		if err != nil {
			return err
		}
		for _, prod := range page.Products {
			if err := fn(prod); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		opts.Cursor = page.Next
	}
}
