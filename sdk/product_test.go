package sdk

import (
	"strings"
	"testing"
)

func validProduct() *Product {
	return &Product{
		ID: "100001", Source: "taobao",
		Title:  map[string]string{"zh-CN": "纯棉T恤", "en": "Cotton T-shirt"},
		Images: []Image{{URL: "https://img.example.com/1.jpg"}},
		Variants: []Variant{
			{SKU: "a", Options: []Option{{Name: "颜色", Value: "红色"}}, Price: Money{1990, "CNY"}, Stock: 3},
			{SKU: "b", Options: []Option{{Name: "颜色", Value: "蓝色"}}, Price: Money{2990, "CNY"}},
		},
	}
}

func TestProductValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*Product)
		want   []string // substrings of the error, in order; none for valid
	}{
		"valid":               {mutate: func(*Product) {}},
		"empty id":            {mutate: func(p *Product) { p.ID = " " }, want: []string{"id: must not be empty"}},
		"no title":            {mutate: func(p *Product) { p.Title = map[string]string{"en": ""} }, want: []string{"title: needs text in at least one locale"}},
		"bad locale":          {mutate: func(p *Product) { p.Title["zh_CN!"] = "x" }, want: []string{`title[zh_CN!]: locale "zh_CN!" is not a BCP 47 tag`}},
		"relative image":      {mutate: func(p *Product) { p.Images[0].URL = "//img.example.com/1.jpg" }, want: []string{`images[0].url: "//img.example.com/1.jpg" must be an absolute http(s) URL`}},
		"no variants":         {mutate: func(p *Product) { p.Variants = nil }, want: []string{"variants: needs at least one variant"}},
		"negative stock":      {mutate: func(p *Product) { p.Variants[0].Stock = -1 }, want: []string{"variants[0].stock: must not be negative, got -1"}},
		"unknown currency":    {mutate: func(p *Product) { p.Variants[1].Price.Currency = "XYZ" }, want: []string{`variants[1].price: unknown ISO 4217 currency "XYZ"`}},
		"lower currency":      {mutate: func(p *Product) { p.Variants[1].Price.Currency = "cny" }, want: []string{`variants[1].price: currency "cny" must be upper case`}},
		"mixed currency":      {mutate: func(p *Product) { p.Variants[1].Price.Currency = "USD" }, want: []string{"variants[1].price.currency: USD differs from the product's other variants (CNY)"}},
		"empty sku":           {mutate: func(p *Product) { p.Variants[0].SKU = "" }, want: []string{"variants[0].sku: must not be empty"}},
		"duplicate sku":       {mutate: func(p *Product) { p.Variants[1].SKU = "a" }, want: []string{`variants[1].sku: "a" repeats variants[0]`}},
		"empty option":        {mutate: func(p *Product) { p.Variants[0].Options[0].Value = "" }, want: []string{"variants[0].options[0]: name and value must not be empty"}},
		"compare-at currency": {mutate: func(p *Product) { p.Variants[0].CompareAt = &Money{2990, "USD"} }, want: []string{"variants[0].compare_at.currency: USD differs from the price's (CNY)"}},
		"bad compare-at":      {mutate: func(p *Product) { p.Variants[0].CompareAt = &Money{-1, "CNY"} }, want: []string{"variants[0].compare_at: amount must not be negative, got -1"}},
		"compare-at below":    {mutate: func(p *Product) { p.Variants[0].CompareAt = &Money{100, "CNY"} }},
		"draft":               {mutate: func(p *Product) { p.Status = StatusDraft }},
		"unknown status":      {mutate: func(p *Product) { p.Status = "archived" }, want: []string{"status: unknown publishing status -1"}},
		"several at once": {
			mutate: func(p *Product) { p.Source = ""; p.Variants[0].Stock = -5 },
			want:   []string{"source: must not be empty", "variants[0].stock: must not be negative, got -5"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := validProduct()
			tc.mutate(p)
			err := p.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("valid product refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("invalid product accepted, want %q", tc.want)
			}
			msg := err.Error()
			for _, w := range tc.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q", msg, w)
				}
				msg = msg[i+len(w):]
			}
		})
	}
}

func TestMoneyString(t *testing.T) {
	for m, want := range map[Money]string{
		{1990, "CNY"}: "19.90 CNY",
		{5, "USD"}:    "0.05 USD",
		{1200, "JPY"}: "1200 JPY",
		{-250, "EUR"}: "-2.50 EUR",
		{7, "ZZZ"}:    "7 ZZZ",
	} {
		if got := m.String(); got != want {
			t.Errorf("%+v: %q, want %q", m, got, want)
		}
	}
}

func TestSaleCompareAt(t *testing.T) {
	for name, tc := range map[string]struct {
		was  *Money
		sale bool
	}{
		"none":           {nil, false},
		"above":          {&Money{2590, "CNY"}, true},
		"equal":          {&Money{1990, "CNY"}, false},
		"below":          {&Money{990, "CNY"}, false},
		"other currency": {&Money{9990, "USD"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			v := Variant{SKU: "a", Price: Money{1990, "CNY"}, CompareAt: tc.was}
			if got := v.SaleCompareAt(); (got != nil) != tc.sale || (got != nil && *got != *tc.was) {
				t.Errorf("SaleCompareAt = %v, want sale %v", got, tc.sale)
			}
			// The model's rule is the same one.
			mv := productToModel(&Product{Variants: []Variant{v}}).GetVariants()[0]
			if got := mv.SaleCompareAt(); (got != nil) != tc.sale {
				t.Errorf("model SaleCompareAt = %v, want sale %v", got, tc.sale)
			}
		})
	}
}
