package apitest

import (
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk"
)

// Product returns a valid catalogue product with two locales, two variants
// and two images, collected through the named platform.
func Product(platform, id string) client.Product {
	return client.Product{
		Platform:    platform,
		CollectedAt: Epoch,
		Product: sdk.Product{
			ID:          id,
			Source:      "sandbox",
			Title:       map[string]string{"zh-CN": "纯棉T恤", "en": "Cotton T-shirt"},
			Description: map[string]string{"en": "A plain shirt of combed cotton."},
			Images: []sdk.Image{
				{URL: "https://img.example.com/" + id + "/1.jpg"},
				{URL: "https://img.example.com/" + id + "/2.jpg"},
			},
			Attributes: []sdk.Attribute{{Name: "material", Value: "cotton", Locale: "en"}},
			Variants: []sdk.Variant{
				{SKU: id + "-RED-M", Options: []sdk.Option{{Name: "color", Value: "red"}, {Name: "size", Value: "M"}},
					Price: sdk.Money{Amount: 1999, Currency: "CNY"}, Stock: 120},
				{SKU: id + "-BLUE-L", Options: []sdk.Option{{Name: "color", Value: "blue"}, {Name: "size", Value: "L"}},
					Price: sdk.Money{Amount: 2150, Currency: "CNY"}, Stock: 0},
			},
			URL:       "https://sandbox.example.com/item/" + id,
			UpdatedAt: Epoch,
		},
	}
}
