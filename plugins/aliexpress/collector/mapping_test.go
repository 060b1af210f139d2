package collector

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
)

// normalized is p as the host stores it: converted to the model and
// through model.Normalize, which drops repeated pictures and attributes
// that restate an option.
func normalized(p *sdk.Product) *sdk.Product {
	if p == nil {
		return nil
	}
	m := host.ProductToModel(p)
	model.Normalize(m)
	return host.ProductFromModel(m)
}

// load reads a whole answer as the gateway sends it and returns the API's
// response object.
func load(t testing.TB, file, key string) json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	raw, ok := top[key]
	if !ok {
		t.Fatalf("%s has no %s", file, key)
	}
	return raw
}

func product(t testing.TB, file string) *ProductGetResponse {
	t.Helper()
	var r ProductGetResponse
	if err := json.Unmarshal(load(t, file, "aliexpress_ds_product_get_response"), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

var usd = Target{Language: "EN", Currency: "USD"}

func TestMultiSKUProduct(t *testing.T) {
	p, perr := Product("1005006057059635", product(t, "product_multi_sku.json"), usd)
	if perr != nil {
		t.Fatal(perr)
	}
	want := &sdk.Product{
		ID:     "1005006057059635",
		Source: "aliexpress",
		Title:  map[string]string{"en": "Portable USB Mini Juicer Rechargeable Fruit Blender Cup"},
		Description: map[string]string{"en": `<div class="detailmodule_html"><p>Capacity: 400ml</p>` +
			`<img src="https://ae01.alicdn.com/kf/Sa38f9ab1dd6245b898d31fb3626d0dafP.jpg"/></div>`},
		// Protocol-relative URLs made https, the empty entry and the
		// repeated first picture dropped.
		Images: []sdk.Image{
			{URL: "https://ae01.alicdn.com/kf/S10aaab919e484b0591ea56cee0dedf3ak.jpg"},
			{URL: "https://ae01.alicdn.com/kf/Sd6b5ce0098204e9995c1ae1440697d80g.jpg"},
			{URL: "https://ae01.alicdn.com/kf/Sbb0ebdf6338a42e0a8d0ba3f74910e8fz.jpg"},
		},
		Attributes: []sdk.Attribute{
			{Name: "Brand Name", Value: "isfriday", Locale: "en"},
			{Name: "Origin", Value: "Mainland China", Locale: "en"},
			{Name: "Material", Value: "ABS", Locale: "en"},
		},
		Variants: []sdk.Variant{
			// An answer from before sku_attr: the SKUs are keyed by id.
			{SKU: "14:193;5:100014064", Options: []sdk.Option{{Name: "Color", Value: "Red"}, {Name: "Size", Value: "S"}},
				Price: sdk.Money{Amount: 5469, Currency: "USD"}, Stock: 492,
				Image: "https://ae01.alicdn.com/kf/S97a9922754d14e70819efa44c16862baH.jpg"},
			// "54.7": one decimal.
			{SKU: "14:193;5:100014065", Options: []sdk.Option{{Name: "Color", Value: "Red"}, {Name: "Size", Value: "M"}},
				Price: sdk.Money{Amount: 5470, Currency: "USD"}, Stock: 0,
				Image: "https://ae01.alicdn.com/kf/S97a9922754d14e70819efa44c16862baH.jpg"},
			// "55": no decimals; the seller's name "400ml" replaces the
			// standard value "Light Grey".
			{SKU: "14:200006151#400ml;5:100014064", Options: []sdk.Option{{Name: "Color", Value: "400ml", StandardValue: "Light Grey"}, {Name: "Size", Value: "S"}},
				Price: sdk.Money{Amount: 5500, Currency: "USD"}, Stock: 31,
				Image: "https://ae01.alicdn.com/kf/Sd6b5ce0098204e9995c1ae1440697d80g.jpg"},
			{SKU: "14:200006151#400ml;5:100014065", Options: []sdk.Option{{Name: "Color", Value: "400ml", StandardValue: "Light Grey"}, {Name: "Size", Value: "M"}},
				Price: sdk.Money{Amount: 99, Currency: "USD"}, Stock: 7,
				Image: "https://ae01.alicdn.com/kf/Sd6b5ce0098204e9995c1ae1440697d80g.jpg"},
		},
		URL: "https://www.aliexpress.com/item/1005006057059635.html",
		// gmt_modified "2024-01-03 03:06:52" in GMT+8.
		UpdatedAt: time.Date(2024, 1, 2, 19, 6, 52, 0, time.UTC),
	}
	if !reflect.DeepEqual(p, want) {
		got, _ := json.MarshalIndent(p, "", "  ")
		exp, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("got\n%s\nwant\n%s", got, exp)
	}
}

// A real answer, in French, after sku_attr: SKUs keyed by sku_attr, the
// seller's value names ("Bear") shown over the standard ones ("BLANC"),
// the "Choice" flag kept as the platform lists it among the properties.
func TestRealAnswerWithSKUAttr(t *testing.T) {
	got, perr := Product("1005008177221739", product(t, "product_real_fr_sku_attr.json"), Target{Language: "FR", Currency: "EUR"})
	if perr != nil {
		t.Fatal(perr)
	}
	p := normalized(got)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Title["fr"] != "Tapis de sol absorbant épais de forme spéciale pour salle de bain, tapis de toilette en flanelle, salle de douche, tapis de pied antidérapant et résistant à la saleté" ||
		p.Description["fr"] != "<div>detail HTML truncated for fixture</div>" || p.URL != "https://www.aliexpress.com/item/1005008177221739.html" {
		t.Errorf("title %v description %v url %s", p.Title, p.Description, p.URL)
	}
	if !p.UpdatedAt.IsZero() {
		t.Errorf("updated_at %v from an answer without gmt_modified", p.UpdatedAt)
	}
	if len(p.Images) != 6 || p.Images[1].URL != "https://ae01.alicdn.com/kf/Sd62acdd4f96744a09612011937a7db5dm.png" {
		t.Errorf("images %v", p.Images)
	}
	wantAttrs := []sdk.Attribute{
		{Name: "Nom de marque", Value: "NONE", Locale: "fr"}, {Name: "Origine", Value: "CN (Origine)", Locale: "fr"},
		{Name: "Matériau", Value: "Polyester", Locale: "fr"}, {Name: "Techniques", Value: "FAIT À LA MACHINE", Locale: "fr"},
		{Name: "Choice", Value: "yes", Locale: "fr"},
	}
	if !reflect.DeepEqual(p.Attributes, wantAttrs) {
		t.Errorf("attributes %v", p.Attributes)
	}
	if len(p.Variants) != 6 {
		t.Fatalf("%d variants, want 6", len(p.Variants))
	}
	first := sdk.Variant{SKU: "14:29#Bear;183:200007741",
		Options: []sdk.Option{{Name: "Couleur", Value: "Bear", StandardValue: "BLANC"}, {Name: "Spécification", Value: "500MMx800MM"}},
		Price:   sdk.Money{Amount: 801, Currency: "EUR"}, Stock: 27, Image: "https://ae01.alicdn.com/kf/Sd1753df6e0b84689b8bfc96923568182z.jpg"}
	if !reflect.DeepEqual(p.Variants[0], first) {
		t.Errorf("first variant %+v, want %+v", p.Variants[0], first)
	}
	last := p.Variants[5]
	if last.SKU != "14:200006151#Cat;183:200007736" || last.Price.Amount != 519 || last.Stock != 83 || last.Options[0] != (sdk.Option{Name: "Couleur", Value: "Cat", StandardValue: "Gris clair"}) {
		t.Errorf("last variant %+v", last)
	}
}

// The same SKU keyed three ways over the change of field: sku_attr wins,
// id stands in for it in older answers, sku_id is the last resort.
func TestSKUKey(t *testing.T) {
	for _, tc := range []struct {
		sku  SKUInfo
		want string
	}{
		{SKUInfo{SkuAttr: "14:29#Bear", ID: "14:29#Bear", SkuID: "120"}, "14:29#Bear"},
		{SKUInfo{SkuAttr: "14:29#Bear", SkuID: "120"}, "14:29#Bear"},
		{SKUInfo{ID: "14:29#Bear", SkuID: "120"}, "14:29#Bear"},
		{SKUInfo{SkuID: "120"}, "120"},
	} {
		if got := skuKey(tc.sku); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.sku, got, tc.want)
		}
	}
}

func TestParseTimeIsGMT8(t *testing.T) {
	got, err := ParseTime("2024-01-03 03:06:52")
	if want := time.Date(2024, 1, 2, 19, 6, 52, 0, time.UTC); err != nil || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "2024-01-03T03:06:52Z", "03/01/2024 03:06:52"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

func TestSKULessProductIsOneVariantNamedByTheProduct(t *testing.T) {
	p, perr := Product("1005004123456789", product(t, "product_skuless.json"), usd)
	if perr != nil {
		t.Fatal(perr)
	}
	want := []sdk.Variant{{SKU: "1005004123456789", Price: sdk.Money{Amount: 1300, Currency: "USD"}, Stock: 120}}
	if !reflect.DeepEqual(p.Variants, want) {
		t.Errorf("variants %+v", p.Variants)
	}
	if p.Description != nil || p.Attributes != nil || len(p.Images) != 1 {
		t.Errorf("empty detail and properties must stay empty: %+v", p)
	}
}

func TestProductWithoutImagesInRoubles(t *testing.T) {
	p, perr := Product("1005002900000000", product(t, "product_no_images_rub.json"), Target{Language: "RU", Currency: "RUB"})
	if perr != nil {
		t.Fatal(perr)
	}
	if p.Images != nil {
		t.Errorf("images %v", p.Images)
	}
	if p.Title["ru"] != "Кожаный Рюкзак" || len(p.Title) != 1 {
		t.Errorf("title %v", p.Title)
	}
	// "2113.0" and "1999.5" in kopecks; a negative ipm_sku_stock is none,
	// and sku_available_stock wins when both are there. The SKUs are keyed
	// by id, the answer having no sku_attr.
	want := []sdk.Variant{
		{SKU: "14:29", Options: []sdk.Option{{Name: "Цвет", Value: "Черный"}}, Price: sdk.Money{Amount: 211300, Currency: "RUB"}, Stock: 5},
		{SKU: "14:10", Options: []sdk.Option{{Name: "Цвет", Value: "Красный"}}, Price: sdk.Money{Amount: 199950, Currency: "RUB"}, Stock: 0},
	}
	if !reflect.DeepEqual(p.Variants, want) {
		t.Errorf("variants %+v", p.Variants)
	}
}

// Bare arrays (the simplified form), a currency without decimals, and an
// SKU without currency_code taking the requested one.
func TestYenAndBareArrays(t *testing.T) {
	p, perr := Product("1005003100000000", product(t, "product_jpy.json"), Target{Language: "JA", Currency: "JPY"})
	if perr != nil {
		t.Fatal(perr)
	}
	if p.Variants[0].Price != (sdk.Money{Amount: 1200, Currency: "JPY"}) || p.Variants[1].Price != (sdk.Money{Amount: 1350, Currency: "JPY"}) {
		t.Errorf("prices %+v", p.Variants)
	}
	if p.Title["ja"] == "" || p.Images[0].URL != "https://ae01.alicdn.com/kf/Sjpy1.jpg" {
		t.Errorf("%+v", p)
	}
}

func TestItemsThatFailAlone(t *testing.T) {
	for name, tc := range map[string]struct {
		file, id string
		kind     sdk.ErrorKind
		code     string
	}{
		"off the shelf":       {"product_offline.json", "1005001111111111", sdk.KindNotFound, "offline"},
		"deleted or unknown":  {"product_not_found.json", "1005000000000001", sdk.KindNotFound, RspItemNotFound},
		"not shippable there": {"product_ship_to_prohibited.json", "1005010486653604", sdk.KindNotFound, RspShipToProhibited},
		"three decimals":      {"product_bad_price.json", "1005003200000000", sdk.KindInvalid, CodeBadPrice},
		"answer for another":  {"product_skuless.json", "1005004123456780", sdk.KindInvalid, CodeWrongProduct},
	} {
		t.Run(name, func(t *testing.T) {
			p, perr := Product(tc.id, product(t, tc.file), usd)
			if p != nil || perr == nil || perr.Kind != tc.kind || perr.Code != tc.code {
				t.Fatalf("got %v, %v; want %s %s", p, perr, tc.kind, tc.code)
			}
		})
	}
}

func TestMalformedAnswers(t *testing.T) {
	ok := product(t, "product_skuless.json")
	for name, tc := range map[string]struct {
		change func(*ProductGetResponse)
		kind   sdk.ErrorKind
		code   string
	}{
		"no result":       {func(r *ProductGetResponse) { r.Result = nil }, sdk.KindUnavailable, "malformed_response"},
		"no SKU":          {func(r *ProductGetResponse) { r.Result.SKUs = nil }, sdk.KindInvalid, CodeNoSKU},
		"blank title":     {func(r *ProductGetResponse) { r.Result.Base.Subject = "  " }, sdk.KindInvalid, CodeNoTitle},
		"unknown code":    {func(r *ProductGetResponse) { r.RspCode = "407"; r.RspMsg = "PARAM_ERROR" }, sdk.KindInvalid, "407"},
		"service code":    {func(r *ProductGetResponse) { r.RspCode = "500"; r.RspMsg = "SYSTEM_ERROR" }, sdk.KindUnavailable, "500"},
		"no price":        {func(r *ProductGetResponse) { r.Result.SKUs[0].OfferSalePrice, r.Result.SKUs[0].SkuPrice = "", "" }, sdk.KindInvalid, CodeBadPrice},
		"odd currency":    {func(r *ProductGetResponse) { r.Result.SKUs[0].CurrencyCode = "ZZZ" }, sdk.KindInvalid, CodeUnknownCurrency},
		"auditing status": {func(r *ProductGetResponse) { r.Result.Base.ProductStatusType = "auditing" }, sdk.KindNotFound, "auditing"},
	} {
		t.Run(name, func(t *testing.T) {
			r := *ok
			if ok.Result != nil {
				res := *ok.Result
				res.SKUs = append(List[SKUInfo](nil), ok.Result.SKUs...)
				r.Result = &res
			}
			tc.change(&r)
			_, perr := Product("1005004123456789", &r, usd)
			if perr == nil || perr.Kind != tc.kind || perr.Code != tc.code {
				t.Fatalf("got %v; want %s %s", perr, tc.kind, tc.code)
			}
		})
	}
	// A missing offer price falls back on the list price.
	r := *ok
	res := *ok.Result
	res.SKUs = List[SKUInfo]{ok.Result.SKUs[0]}
	res.SKUs[0].OfferSalePrice = ""
	r.Result = &res
	if p, perr := Product("1005004123456789", &r, usd); perr != nil || p.Variants[0].Price.Amount != 1550 {
		t.Errorf("list price fallback: %v %v", p, perr)
	}
}

func TestListPages(t *testing.T) {
	read := func(file string) (Page, *sdk.Error) {
		var r ProductListResponse
		if err := json.Unmarshal(load(t, file, "aliexpress_solution_product_list_get_response"), &r); err != nil {
			t.Fatal(err)
		}
		return ReadPage(&r)
	}
	p, err := read("list_page.json")
	if err != nil || !reflect.DeepEqual(p, Page{IDs: []string{"1005003033814656", "1005003033814657"}, Current: 1, Total: 2}) {
		t.Errorf("first page %+v %v", p, err)
	}
	p, err = read("list_last_page.json")
	if err != nil || !reflect.DeepEqual(p, Page{IDs: []string{"1005003033814658"}, Current: 2, Total: 2}) {
		t.Errorf("last page %+v %v", p, err)
	}
	p, err = read("list_empty.json")
	if err != nil || len(p.IDs) != 0 || p.Total != 0 {
		t.Errorf("empty page %+v %v", p, err)
	}
	_, err = read("list_failed.json")
	if err == nil || err.Kind != sdk.KindUnavailable || err.Code != "16009999" {
		t.Errorf("failed list: %v", err)
	}
}

func TestListAcceptsOnlyOneWrapper(t *testing.T) {
	var l List[ListItem]
	if err := json.Unmarshal([]byte(`{"a":[],"b":[]}`), &l); err == nil {
		t.Error("two keys accepted")
	}
	if err := json.Unmarshal([]byte(`{}`), &l); err != nil || l != nil {
		t.Errorf("empty wrapper: %v %v", l, err)
	}
}

// BenchmarkMapMultiSKUProduct is the cost of mapping one decoded
// four-SKU product, validation included.
func BenchmarkMapMultiSKUProduct(b *testing.B) {
	r := product(b, "product_multi_sku.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, perr := Product("1005006057059635", r, usd); perr != nil {
			b.Fatal(perr)
		}
	}
}

// BenchmarkDecodeAndMapMultiSKUProduct adds decoding the answer's JSON.
func BenchmarkDecodeAndMapMultiSKUProduct(b *testing.B) {
	raw := load(b, "product_multi_sku.json", "aliexpress_ds_product_get_response")
	b.ReportAllocs()
	for b.Loop() {
		var r ProductGetResponse
		if err := json.Unmarshal(raw, &r); err != nil {
			b.Fatal(err)
		}
		if _, perr := Product("1005006057059635", &r, usd); perr != nil {
			b.Fatal(perr)
		}
	}
}
