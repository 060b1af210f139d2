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
