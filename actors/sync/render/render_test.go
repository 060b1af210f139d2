package render_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

// product is a Taobao-like product with one variant.
func product(title map[string]string, amount int64, currency string, stock int64) *model.Product {
	return &model.Product{
		Id:          "6543210",
		Source:      "taobao",
		Title:       title,
		Description: map[string]string{"zh-CN": "纯棉，宽松版型", "en": "Cotton, loose fit"},
		Images:      []*model.Image{{Url: "https://img.example/1.jpg"}},
		Variants: []*model.Variant{{
			Sku:     "T-RED-M",
			Options: []*model.Option{{Name: "颜色", Value: "红色"}},
			Price:   &model.Money{Amount: amount, Currency: currency},
			Stock:   stock,
		}},
	}
}

var both = map[string]string{"zh-CN": "纯棉T恤", "en": "Cotton T-shirt"}

func baseRules() render.Rules {
	return render.Rules{
		Fields: render.Fields{Title: []string{"en", "zh-CN"}, Description: []string{"en"}},
		Price: render.Price{
			Currency: "USD",
			Rate:     rat("0.1385"),
			Markup: []render.Markup{
				{Below: rat("50"), Multiply: rat("2.5")},
				{Multiply: rat("1.8"), Add: rat("3")},
			},
			Round:     rat("0.99"),
			CompareAt: rat("1.3"),
		},
		Stock: render.Stock{Reserve: 2, OutOfStock: render.OutOfStockZero},
	}
}

func TestRender(t *testing.T) {
	for name, tc := range map[string]struct {
		product   *model.Product
		edit      func(*render.Rules)
		title     string
		desc      string // "" for none
		price     string // Money.Format of the variant's price
		compareAt string // "" for none
		stock     int64
		status    render.Status
		hold      bool
	}{
		"english title, converted, first rule, charm, compare-at": {
			// 19.99 CNY × 0.1385 = 2.768615 USD × 2.5 = 6.9215375 → 6.92 → 6.99;
			// 6.99 × 1.3 = 9.087 → 9.09 → 9.99.
			product: product(both, 1999, "CNY", 10),
			title:   "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "6.99 USD", compareAt: "9.99 USD", stock: 8, status: render.Status_STATUS_ACTIVE,
		},
		"chinese only: title falls back, description absent": {
			product: func() *model.Product {
				p := product(map[string]string{"zh-CN": "纯棉T恤"}, 1999, "CNY", 10)
				p.Description = map[string]string{"zh-CN": "纯棉"}
				return p
			}(),
			title: "纯棉T恤", price: "6.99 USD", compareAt: "9.99 USD", stock: 8, status: render.Status_STATUS_ACTIVE,
		},
		"blank english title falls back": {
			product: product(map[string]string{"en": "  ", "zh-CN": "纯棉T恤"}, 1999, "CNY", 10),
			title:   "纯棉T恤", desc: "Cotton, loose fit",
			price: "6.99 USD", compareAt: "9.99 USD", stock: 8, status: render.Status_STATUS_ACTIVE,
		},
		"cost just under a range's bound": {
			// 361.01 CNY × 0.1385 = 49.999885 USD, below 50 → ×2.5 =
			// 124.9997125 → 125.00 → 125.99.
			product: product(both, 36101, "CNY", 1),
			edit:    func(r *render.Rules) { r.Price.CompareAt = nil; r.Stock.Reserve = 0 },
			title:   "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "125.99 USD", stock: 1, status: render.Status_STATUS_ACTIVE,
		},
		"exactly on the bound": {
			// 500 CNY × 0.1 = 50.00 USD: not below 50 → 50 × 1.8 + 3 = 93 → 93.99.
			product: product(both, 50000, "CNY", 1),
			edit:    func(r *render.Rules) { r.Price.Rate = rat("0.1"); r.Price.CompareAt = nil },
			title:   "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "93.99 USD", stock: 0, status: render.Status_STATUS_ACTIVE,
		},
		"half a cent rounds up": {
			// 0.01 CNY × 0.5 = 0.005 USD → 0.01.
			product: product(both, 1, "CNY", 5),
			edit: func(r *render.Rules) {
				r.Price.Rate, r.Price.Markup, r.Price.Round, r.Price.CompareAt = rat("0.5"), nil, nil, nil
			},
			title: "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "0.01 USD", stock: 3, status: render.Status_STATUS_ACTIVE,
		},
		"just under half a cent rounds down": {
			// 0.01 CNY × 0.4999 = 0.004999 USD → 0.00.
			product: product(both, 1, "CNY", 5),
			edit: func(r *render.Rules) {
				r.Price.Rate, r.Price.Markup, r.Price.Round, r.Price.CompareAt = rat("0.4999"), nil, nil, nil
			},
			title: "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "0.00 USD", stock: 3, status: render.Status_STATUS_ACTIVE,
		},
		"a price already on the charm stays": {
			product: product(both, 1299, "USD", 5),
			edit: func(r *render.Rules) {
				r.Price.Currency, r.Price.Rate, r.Price.Markup, r.Price.CompareAt = "", nil, nil, nil
			},
			title: "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "12.99 USD", stock: 3, status: render.Status_STATUS_ACTIVE,
		},
		"to yen: zero decimals, charm 9": {
			// 19.99 CNY × 20.5 = 409.795 JPY → 410 → 419; ×1.3 = 544.7 → 545 → 549.
			product: product(both, 1999, "CNY", 5),
			edit: func(r *render.Rules) {
				r.Price.Currency, r.Price.Rate, r.Price.Markup, r.Price.Round = "JPY", rat("20.5"), nil, rat("9")
			},
			title: "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "419 JPY", compareAt: "549 JPY", stock: 3, status: render.Status_STATUS_ACTIVE,
		},
		"to won: charm 99 on hundreds": {
			// 100.00 CNY × 190.123 = 19012.3 KRW → 19012 → 19099.
			product: product(both, 10000, "CNY", 5),
			edit: func(r *render.Rules) {
				r.Price.Currency, r.Price.Rate, r.Price.Markup, r.Price.Round, r.Price.CompareAt = "KRW", rat("190.123"), nil, rat("99"), nil
			},
			title: "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "19099 KRW", stock: 3, status: render.Status_STATUS_ACTIVE,
		},
		"from yen to three-decimal dinar": {
			// 1000 JPY × 0.00205 = 2.05 KWD → 2.050; ×1.3 = 2.665.
			product: product(both, 1000, "JPY", 5),
			edit: func(r *render.Rules) {
				r.Price.Currency, r.Price.Rate, r.Price.Markup, r.Price.Round = "KWD", rat("0.00205"), nil, nil
			},
			title: "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "2.050 KWD", compareAt: "2.665 KWD", stock: 3, status: render.Status_STATUS_ACTIVE,
		},
		"reserve floors at zero; zero keeps it active": {
			product: product(both, 1999, "CNY", 1),
			title:   "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "6.99 USD", compareAt: "9.99 USD", stock: 0, status: render.Status_STATUS_ACTIVE,
		},
		"out of stock to draft": {
			product: product(both, 1999, "CNY", 2),
			edit:    func(r *render.Rules) { r.Stock.OutOfStock = render.OutOfStockDraft },
			title:   "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "6.99 USD", compareAt: "9.99 USD", stock: 0, status: render.Status_STATUS_DRAFT,
		},
		"out of stock, store keeps its stock": {
			product: product(both, 1999, "CNY", 0),
			edit:    func(r *render.Rules) { r.Stock.OutOfStock = render.OutOfStockKeep },
			title:   "Cotton T-shirt", desc: "Cotton, loose fit",
			price: "6.99 USD", compareAt: "9.99 USD", stock: 0, status: render.Status_STATUS_ACTIVE, hold: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			rules := baseRules()
			if tc.edit != nil {
				tc.edit(&rules)
			}
			if err := rules.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			before := proto.Clone(tc.product)
			l, err := render.Render(tc.product, &rules)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if !proto.Equal(before, tc.product) {
				t.Error("Render modified its input")
			}
			p := l.GetProduct()
			if got := p.GetTitle(); len(got) != 1 || got["en"] != tc.title {
				t.Errorf("title = %v, want en: %q", got, tc.title)
			}
			if got := p.GetDescription()["en"]; got != tc.desc || (tc.desc == "" && p.GetDescription() != nil) {
				t.Errorf("description = %v, want en: %q", p.GetDescription(), tc.desc)
			}
			v := p.GetVariants()[0]
			if got := v.GetPrice().Format(); got != tc.price {
				t.Errorf("price = %s, want %s", got, tc.price)
			}
			if got := l.GetCompareAt()[v.GetSku()]; (got == nil) != (tc.compareAt == "") || (got != nil && got.Format() != tc.compareAt) {
				t.Errorf("compare-at = %v, want %q", got.Format(), tc.compareAt)
			}
			if v.GetStock() != tc.stock {
				t.Errorf("stock = %d, want %d", v.GetStock(), tc.stock)
			}
			if l.GetStatus() != tc.status {
				t.Errorf("status = %v, want %v", l.GetStatus(), tc.status)
			}
			if hold := len(l.GetHoldStock()) == 1 && l.GetHoldStock()[0] == v.GetSku(); hold != tc.hold {
				t.Errorf("hold stock = %v, want %v", l.GetHoldStock(), tc.hold)
			}
			if p.GetId() != tc.product.GetId() || len(p.GetImages()) != 1 || v.GetOptions()[0].GetValue() != "红色" {
				t.Errorf("other fields not carried over: %v", p)
			}
		})
	}
}

func TestRenderFailsAlone(t *testing.T) {
	rules := baseRules()
	for name, tc := range map[string]struct {
		product *model.Product
		edit    func(*render.Rules)
		want    string
	}{
		"no title in the chain": {
			product: product(map[string]string{"ja": "綿のTシャツ"}, 1999, "CNY", 1),
			want:    `no title in any of the locales [en zh-CN] (it has [ja])`,
		},
		"no title at all": {
			product: product(nil, 1999, "CNY", 1),
			want:    `no title in any of the locales [en zh-CN] (it has [])`,
		},
		"no rule covers the cost": {
			product: product(both, 100000, "CNY", 1),
			edit:    func(r *render.Rules) { r.Price.Markup = r.Price.Markup[:1] },
			want:    `variant "T-RED-M": render: no price rule covers a cost of 138.50 USD`,
		},
		"unknown source currency": {
			product: product(both, 100, "XYZ", 1),
			want:    `variant "T-RED-M": render: unknown ISO 4217 currency "XYZ"`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := rules
			if tc.edit != nil {
				tc.edit(&r)
			}
			l, err := render.Render(tc.product, &r)
			var rerr *render.Error
			if !errors.As(err, &rerr) || l != nil {
				t.Fatalf("Render = %v, %v; want a *render.Error", l, err)
			}
			if rerr.ProductID != "6543210" || rerr.Reason != tc.want {
				t.Errorf("error = %q, want reason %q", err, tc.want)
			}
		})
	}
}

func TestCharm(t *testing.T) {
	for _, tc := range []struct {
		amount int64
		ending string
		scale  int
		want   int64
		err    string
	}{
		{1230, "0.99", 2, 1299, ""},
		{1299, "0.99", 2, 1299, ""},
		{1300, "0.99", 2, 1399, ""},
		{0, "0.99", 2, 99, ""},
		{1201, "0.95", 2, 1295, ""},
		{1296, "0.95", 2, 1395, ""},
		{1250, "9.99", 2, 1999, ""},
		{2000, "9.99", 2, 2999, ""},
		{1234, "9", 0, 1239, ""},
		{1239, "9", 0, 1239, ""},
		{1234, "99", 0, 1299, ""},
		{1234, "0.5", 2, 1250, ""},
		{1234, "0.99", 0, 0, "more decimals"},
		{1234, "0.995", 2, 0, "more decimals"},
		{1<<63 - 1, "0.99", 2, 0, "too large"},
	} {
		got, err := render.Charm(tc.amount, rat(tc.ending), tc.scale)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Charm(%d, %s, %d) = %d, %v; want an error with %q", tc.amount, tc.ending, tc.scale, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Charm(%d, %s, %d) = %d, %v; want %d", tc.amount, tc.ending, tc.scale, got, err, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*render.Rules)
		want string
	}{
		"valid":            {func(*render.Rules) {}, ""},
		"no title locale":  {func(r *render.Rules) { r.Fields.Title = nil }, "at least one locale"},
		"catch-all first":  {func(r *render.Rules) { r.Price.Markup[0].Below = nil }, "never apply"},
		"decreasing bound": {func(r *render.Rules) { r.Price.Markup[1].Below = rat("20") }, "overlaps"},
		"charm too fine":   {func(r *render.Rules) { r.Price.Currency = "JPY" }, "more decimals"},
		"bad out_of_stock": {func(r *render.Rules) { r.Stock.OutOfStock = "hide" }, "out_of_stock"},
	} {
		r := baseRules()
		r.Price.Markup = append([]render.Markup(nil), r.Price.Markup...)
		tc.edit(&r)
		err := r.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate = %v, want %q", name, err, tc.want)
		}
	}
}

func TestRulesOfConfig(t *testing.T) {
	s := &config.Sync{
		Fields: config.SyncFields{Title: []string{"en", "zh-CN"}, Description: []string{"en"}},
		Price: config.SyncPrice{Currency: "USD", Rate: rat("0.1385"), Round: rat("0.99"), CompareAt: rat("1.3"),
			Rules: []config.PriceRule{{Below: rat("50"), Multiply: rat("2.5")}, {Multiply: rat("1.8"), Add: rat("3")}}},
		Stock: config.SyncStock{Reserve: 2, OutOfStock: "zero"},
	}
	rules := render.RulesOf(s)
	if err := rules.Validate(); err != nil {
		t.Fatal(err)
	}
	want := baseRules()
	got, _ := render.Render(product(both, 1999, "CNY", 10), &rules)
	exp, _ := render.Render(product(both, 1999, "CNY", 10), &want)
	if !proto.Equal(got, exp) {
		t.Errorf("rules from config render %v, want %v", got, exp)
	}
}

func TestRenderSanitisesDescriptions(t *testing.T) {
	rules := baseRules()
	for name, tc := range map[string]struct{ in, want string }{
		"script dropped":          {`<p>Cotton</p><script>steal()</script>`, `<p>Cotton</p>`},
		"inline handler dropped":  {`<img src="https://img.example/a.jpg" onerror="steal()">`, `<img src="https://img.example/a.jpg">`},
		"iframe dropped":          {`<p>Fit</p><iframe src="https://tracker.example"></iframe>`, `<p>Fit</p>`},
		"javascript link dropped": {`<a href="javascript:steal()">more</a>`, `more`},
		"formatting kept":         {`<ul><li><b>100%</b> cotton</li></ul>`, `<ul><li><b>100%</b> cotton</li></ul>`},
		"plain text kept":         {`Cotton, loose fit`, `Cotton, loose fit`},
	} {
		t.Run(name, func(t *testing.T) {
			p := product(both, 1999, "CNY", 5)
			p.Description = map[string]string{"en": tc.in}
			l, err := render.Render(p, &rules)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.GetProduct().GetDescription()["en"]; got != tc.want {
				t.Errorf("description %q, want %q", got, tc.want)
			}
		})
	}
	p := product(both, 1999, "CNY", 5)
	p.Description = map[string]string{"en": `<script>only()</script>`}
	if l, _ := render.Render(p, &rules); l.GetProduct().GetDescription() != nil {
		t.Errorf("a description of nothing but a script is published: %v", l.GetProduct().GetDescription())
	}
}
