package main

import (
	"testing"

	"github.com/marketsync/marketsync/plugins/sandbox/market"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// TestConformance runs the SDK's conformance kit against the sandbox, as
// the built binary and served in-process. The sandbox has no credentials,
// so the AUTH check is skipped.
func TestConformance(t *testing.T) {
	catalog := market.Catalog{Seed: 1, Count: 20}
	var products []sdk.Product
	for _, id := range []string{"100001", "100002"} {
		p, err := catalog.Product(id)
		if err != nil {
			t.Fatal(err)
		}
		products = append(products, *p)
	}
	target := plugintest.Target{
		Config:     `{"products": 20}`,
		KnownIDs:   []string{"100001", "100002", "100020"},
		UnknownIDs: []string{"100021", "not-an-id"},
		RateLimit: &plugintest.RateLimit{
			// One call every thousand seconds with a burst of one: the
			// second call is refused with a retry-after.
			Config:     `{"products": 20, "rate_limit": 0.001, "burst": 1}`,
			RetryAfter: true,
		},
		Publish: &plugintest.Publish{Products: products},
		ProductURLs: map[string]string{
			"https://item.sandbox.marketsync.invalid/item/100002.html": "100002",
			"https://m.sandbox.marketsync.invalid/item.html?id=100020": "100020",
		},
	}
	t.Run("binary", func(t *testing.T) {
		target := target
		target.Binary = binary
		plugintest.Run(t, target)
	})
	t.Run("in-process", func(t *testing.T) {
		target := target
		target.New = func() sdk.Plugin { return market.New() }
		plugintest.Run(t, target)
	})
}
