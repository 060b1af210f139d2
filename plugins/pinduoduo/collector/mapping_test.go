package collector

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

// readDetail decodes a saved pdd.goods.detail.get answer the way Client.Call
// does: the top-level object, then goods_detail_get_response.
func readDetail(t testing.TB, name string) (*goodsDetail, error) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatal(err)
	}
	var d goodsDetail
	return &d, json.Unmarshal(top["goods_detail_get_response"], &d)
}

func mustDetail(t testing.TB, name string) *goodsDetail {
	t.Helper()
	d, err := readDetail(t, name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// mapNoNames maps a goods detail without its category's template.
func mapNoNames(d *goodsDetail, priceType string) (*sdk.Product, *sdk.Error) {
	p, _, perr := mapGoods(d, priceType, propertyNames{})
	return p, perr
}

func cny(fen int64) sdk.Money { return sdk.Money{Amount: fen, Currency: "CNY"} }

// The prices cover amounts with no, one and two significant decimals of a
// yuan (¥49.00 as 4900, ¥19.90 as 1990, ¥0.05 as 5), given as JSON numbers
// and as strings; fen are CNY minor units, so each amount is the number
// itself.
func TestMapMultiSKU(t *testing.T) {
	d := mustDetail(t, "detail_multi_sku.json")
	got, perr := mapNoNames(d, PriceSingle)
	if perr != nil {
		t.Fatal(perr)
	}
	want := &sdk.Product{
		ID:          "126050052488",
		Source:      "pinduoduo",
		Title:       map[string]string{"zh-CN": "南极人加厚纯棉T恤男短袖夏季宽松打底衫包邮"},
		Description: map[string]string{"zh-CN": "南极人官方正品T恤，品质保证，七天无理由退换。"},
		URL:         "https://mobile.yangkeduo.com/goods.html?goods_id=126050052488",
		// Protocol-relative made https, the address without a host
		// dropped; the repeat is the host's to drop (model.Normalize).
		Images: []sdk.Image{
			{URL: "https://img.pddpic.com/mms-material-img/2025-03-01/5f0c1a2e.jpeg"},
			{URL: "https://t00img.yangkeduo.com/goods/images/2025-03-01/9a8b7c6d.jpg"},
			{URL: "https://img.pddpic.com/mms-material-img/2025-03-01/5f0c1a2e.jpeg"},
		},
		// The SKU off sale (587340052402) is left out.
		Variants: []sdk.Variant{
			{SKU: "587340052400", Options: []sdk.Option{{Name: "颜色", Value: "黑色"}, {Name: "尺码", Value: "M"}},
				Price: cny(1990), Stock: 120, Image: "https://img.pddpic.com/mms-material-img/2025-03-01/black.jpeg"},
			{SKU: "587340052401", Options: []sdk.Option{{Name: "颜色", Value: "黑色"}, {Name: "尺码", Value: "L"}},
				Price: cny(2090), Stock: 0},
			{SKU: "587340052403", Options: []sdk.Option{{Name: "颜色", Value: "白色"}, {Name: "尺码", Value: "L"}},
				Price: cny(5), Stock: 7, Image: "https://img.pddpic.com/mms-material-img/2025-03-01/white.jpeg"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		t.Fatalf("got\n%s", gj)
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}

	group, _ := mapNoNames(d, PriceGroup)
	var prices []int64
	for _, v := range group.Variants {
		prices = append(prices, v.Price.Amount)
	}
	if !reflect.DeepEqual(prices, []int64{1790, 1890, 1}) {
		t.Errorf("group prices %v", prices)
	}
}

func TestMapSingleSKUWithoutSpecs(t *testing.T) {
	got, perr := mapNoNames(mustDetail(t, "detail_single_sku.json"), PriceSingle)
	if perr != nil {
		t.Fatal(perr)
	}
	want := []sdk.Variant{{SKU: "587340060400", Price: cny(4900), Stock: 999}}
	if !reflect.DeepEqual(got.Variants, want) {
		t.Errorf("variants %+v, want %+v", got.Variants, want)
	}
	// No carousel: the main image stands alone. No description: none.
	if len(got.Images) != 1 || got.Images[0].URL != "https://img.pddpic.com/mms-material-img/2025-04-02/cup.jpeg" || got.Description != nil {
		t.Errorf("images %+v description %v", got.Images, got.Description)
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
}

func TestMapSoldOutWithoutImages(t *testing.T) {
	got, perr := mapNoNames(mustDetail(t, "detail_no_images.json"), PriceSingle)
	if perr != nil {
		t.Fatal(perr)
	}
	if got.Images != nil {
		t.Errorf("images %+v, want none", got.Images)
	}
	if len(got.Variants) != 1 || got.Variants[0].Stock != 0 || got.Variants[0].Price != cny(10000) {
		t.Errorf("variants %+v", got.Variants)
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
}

func TestMapUnsellableGoodsIsNotFound(t *testing.T) {
	for file, code := range map[string]string{
		"detail_off_shelf.json":      "goods_off_shelf",
		"detail_deleted.json":        "goods_deleted",
		"detail_no_sku_on_sale.json": "goods_not_on_sale",
	} {
		p, perr := mapNoNames(mustDetail(t, file), PriceSingle)
		if p != nil || perr == nil || perr.Kind != sdk.KindNotFound || perr.Code != code {
			t.Errorf("%s: got %v %v, want NOT_FOUND %s", file, p, perr, code)
		}
	}
}

func TestFractionalFenIsRefused(t *testing.T) {
	if _, err := readDetail(t, "detail_fractional_price.json"); err == nil {
		t.Fatal("a price of 19.9 fen was accepted")
	}
}

func TestCountAcceptsOnlyWholeNumbers(t *testing.T) {
	for in, want := range map[string]int64{`1990`: 1990, `"1990"`: 1990, `0`: 0, `null`: 0, `"587340052401"`: 587340052401} {
		var c count
		if err := json.Unmarshal([]byte(in), &c); err != nil || int64(c) != want {
			t.Errorf("%s: %d, %v", in, c, err)
		}
	}
	for _, in := range []string{`19.9`, `"19.90"`, `-1`, `1e3`, `""`, `"12a"`, `true`, `1234567890123456789`} {
		var c count
		if err := json.Unmarshal([]byte(in), &c); err == nil {
			t.Errorf("%s accepted as %d", in, c)
		}
	}
}

func TestImageURL(t *testing.T) {
	for in, want := range map[string]string{
		"//img.pddpic.com/a.jpeg":        "https://img.pddpic.com/a.jpeg",
		" https://img.pddpic.com/a.jpeg": "https://img.pddpic.com/a.jpeg",
		"http://t00img.yangkeduo.com/b":  "http://t00img.yangkeduo.com/b",
		"/a.jpeg":                        "",
		"img.pddpic.com/a.jpeg":          "",
		"":                               "",
	} {
		if got := imageURL(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// BenchmarkMapGoods is the mapping cost of one product with four SKUs of
// two specs, decoding excluded.
func BenchmarkMapGoods(b *testing.B) {
	d := mustDetail(b, "detail_multi_sku.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, perr := mapNoNames(d, PriceSingle); perr != nil {
			b.Fatal(perr)
		}
	}
}

// BenchmarkDecodeAndMapGoods adds decoding the saved answer, the rest of
// the work per product of a FetchProducts call.
func BenchmarkDecodeAndMapGoods(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "detail_multi_sku.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var top map[string]json.RawMessage
		var d goodsDetail
		if json.Unmarshal(body, &top) != nil || json.Unmarshal(top["goods_detail_get_response"], &d) != nil {
			b.Fatal("decode")
		}
		if _, perr := mapNoNames(&d, PriceSingle); perr != nil {
			b.Fatal(perr)
		}
	}
}

// goods_property_list names properties by template_pid and ref_pid only;
// the category's template (pdd.goods.cat.template.get) names them, by
// either id, and marks sale properties, which stay with the variants. A
// property the template does not name is left out and reported.
func TestGoodsPropertiesTakeTheTemplatesNames(t *testing.T) {
	var tpl struct {
		R catTemplate `json:"open_api_response"`
	}
	if err := json.Unmarshal(readFile(t, "cat_template.json"), &tpl); err != nil {
		t.Fatal(err)
	}
	names := namesOf(&tpl.R)
	d := mustDetail(t, "detail_multi_sku.json")
	d.GoodsPropertyList = append(d.GoodsPropertyList,
		goodsProperty{RefPid: 1230, Vvalue: "纯棉"},                        // named by ref_pid alone
		goodsProperty{TemplatePid: 137050, RefPid: 1215, Vvalue: "黑色"},   // a sale property
		goodsProperty{TemplatePid: 990001, RefPid: 990002, Vvalue: "未知"}, // nobody names it
		goodsProperty{TemplatePid: 137042, Vvalue: "500", Punit: "g"},    // with its unit
	)
	p, unnamed, perr := mapGoods(d, PriceSingle, names)
	if perr != nil {
		t.Fatal(perr)
	}
	want := []sdk.Attribute{
		{Name: "品牌", Value: "南极人", Locale: "zh-CN"},
		{Name: "材质", Value: "纯棉", Locale: "zh-CN"},
		{Name: "材质", Value: "500g", Locale: "zh-CN"},
	}
	if !reflect.DeepEqual(p.Attributes, want) {
		t.Errorf("attributes %+v, want %+v", p.Attributes, want)
	}
	if !reflect.DeepEqual(unnamed, []int64{990001}) {
		t.Errorf("unnamed %v, want [990001]", unnamed)
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An answer relayed from the platform (testdata/SOURCES.md): its two goods
// properties, given by template_pid and ref_pid, take their names from
// the template — the first by template_pid, the second by ref_pid alone
// (the template here refers 317 to 材质 under another template id) — and
// nothing else of the answer is lost in decoding.
func TestRealAnswerPropertiesAndFields(t *testing.T) {
	var d goodsDetail
	if err := json.Unmarshal(readFile(t, "real_detail_fw199.json"), &d); err != nil {
		t.Fatal(err)
	}
	if d.GoodsID != 160210883299 || d.CatID != 18056 || d.GoodsName != "A4白纸一张十圆不支持退货,不要乱拍!" ||
		d.GoodsDesc != "杯架A测试商品请不要拍" || len(d.CarouselGalleryList) != 1 || d.Status != 0 {
		t.Errorf("decoded %+v", d)
	}
	names := propertyNames{
		byTemplate: map[int64]string{137041: "品牌"},
		byRef:      map[int64]string{310: "品牌", 317: "材质"},
	}
	got, unnamed := attributes(d.GoodsPropertyList, names)
	want := []sdk.Attribute{{Name: "品牌", Value: "太力", Locale: "zh-CN"}, {Name: "材质", Value: "塑料", Locale: "zh-CN"}}
	if !reflect.DeepEqual(got, want) || len(unnamed) != 0 {
		t.Errorf("attributes %+v (unnamed %v), want %+v", got, unnamed, want)
	}
	// Without a template nothing is shown by id.
	if got, unnamed := attributes(d.GoodsPropertyList, propertyNames{}); len(got) != 0 || !reflect.DeepEqual(unnamed, []int64{137041, 137039}) {
		t.Errorf("without names: %+v, unnamed %v", got, unnamed)
	}
	// The answer has no sku_list in the copy kept: no SKU on sale.
	if p, _, perr := mapGoods(&d, PriceSingle, names); p != nil || perr == nil || perr.Kind != sdk.KindNotFound {
		t.Errorf("goods without SKUs: %v, %v", p, perr)
	}
}
