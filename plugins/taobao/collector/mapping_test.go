package collector

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/taobao/top"
	"github.com/marketsync/marketsync/sdk"
)

// loadItems reads a saved taobao.items.seller.list.get answer.
func loadItems(t testing.TB, file string) []item {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	var body itemList[item]
	if err := json.Unmarshal(env[top.ResponseKey(apiSellerList)], &body); err != nil {
		t.Fatal(err)
	}
	return body.Items.Item
}

func cny(fen int64) sdk.Money { return sdk.Money{Amount: fen, Currency: "CNY"} }

func TestMapSavedItems(t *testing.T) {
	items := loadItems(t, "testdata/items_seller_list_get.json")
	gmt8 := time.FixedZone("", 8*3600)
	want := map[string]struct {
		product *sdk.Product
		err     *sdk.Error
	}{
		"652311040589": {product: &sdk.Product{
			ID: "652311040589", Source: "taobao",
			Title: map[string]string{"zh-CN": "太平鸟2026夏季新款纯棉短袖T恤女宽松百搭上衣"},
			Images: []sdk.Image{
				{URL: "https://img.alicdn.com/imgextra/i4/2206543210987/O1CN01aBcD3E1xYz_!!2206543210987.jpg"},
				{URL: "https://gd2.alicdn.com/imgextra/i2/2206543210987/O1CN01second_!!2206543210987.jpg"},
				{URL: "https://img.alicdn.com/imgextra/i1/2206543210987/O1CN01third_!!2206543210987.jpg"},
			},
			Attributes: []sdk.Attribute{
				{Name: "品牌", Value: "太平鸟", Locale: "zh-CN"},
				{Name: "材质成分", Value: "棉100%", Locale: "zh-CN"},
			},
			Variants: []sdk.Variant{
				{SKU: "5012345678901", Options: []sdk.Option{{Name: "颜色分类", Value: "红色"}, {Name: "尺码", Value: "M"}}, Price: cny(5990), Stock: 80},
				{SKU: "5012345678902", Options: []sdk.Option{{Name: "颜色分类", Value: "黑色"}, {Name: "尺码", Value: "L"}}, Price: cny(6900), Stock: 50},
			},
			URL:       "https://item.taobao.com/item.htm?id=652311040589",
			UpdatedAt: time.Date(2026, 4, 2, 10, 15, 30, 0, gmt8).UTC(),
		}},
		"652311040590": {product: &sdk.Product{
			ID: "652311040590", Source: "taobao",
			Title:     map[string]string{"zh-CN": "南极人保温杯316不锈钢大容量"},
			Images:    []sdk.Image{{URL: "https://img.alicdn.com/imgextra/i3/2206543210987/O1CN01cup_!!2206543210987.jpg"}},
			Variants:  []sdk.Variant{{SKU: "652311040590", Price: cny(12800), Stock: 35}},
			URL:       "https://item.taobao.com/item.htm?id=652311040590",
			UpdatedAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		}},
		"652311040591": {product: &sdk.Product{
			ID: "652311040591", Source: "taobao",
			Title:     map[string]string{"zh-CN": "回力帆布鞋"},
			Variants:  []sdk.Variant{{SKU: "652311040591", Price: cny(900), Stock: 0}},
			URL:       "https://item.taobao.com/item.htm?id=652311040591",
			UpdatedAt: time.Date(2026, 3, 30, 15, 59, 59, 0, time.UTC),
		}},
		"652311040592": {err: &sdk.Error{Kind: sdk.KindNotFound, Code: "off_shelf"}},
		"652311040593": {err: &sdk.Error{Kind: sdk.KindInvalid, Code: "bad_price"}},
		"652311040594": {err: &sdk.Error{Kind: sdk.KindInvalid, Code: "bad_sku"}},
	}
	if len(items) != len(want) {
		t.Fatalf("%d items in testdata, %d expected", len(items), len(want))
	}
	for i := range items {
		id := items[i].NumIID.String()
		t.Run(id, func(t *testing.T) {
			w := want[id]
			p, err := mapItem(&items[i])
			if w.err != nil {
				if p != nil || err == nil || err.Kind != w.err.Kind || err.Code != w.err.Code {
					t.Fatalf("got %v / %v, want %s %s", p, err, w.err.Kind, w.err.Code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if verr := p.Validate(); verr != nil {
				t.Errorf("invalid product: %v", verr)
			}
			if !reflect.DeepEqual(p, w.product) {
				gotJSON, _ := json.MarshalIndent(p, "", " ")
				wantJSON, _ := json.MarshalIndent(w.product, "", " ")
				t.Errorf("got\n%s\nwant\n%s", gotJSON, wantJSON)
			}
		})
	}
}

func TestParsePrice(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "9": 900, "9.9": 990, "9.90": 990, "59.99": 5999, "100000000": 10000000000, "0.01": 1, "007.5": 750,
		"92233720368547758.07": 9223372036854775807,
	} {
		if got, err := ParsePrice(in); err != nil || got != want {
			t.Errorf("ParsePrice(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".5", "5.", "12.345", "-1", "+1", "1,5", " 1", "1e3", "¥5", "92233720368547758.08", "1.2.3", "NaN"} {
		if got, err := ParsePrice(in); err == nil {
			t.Errorf("ParsePrice(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		props, names string
		want         []sdk.Option
		bad          bool
	}{
		"two axes":          {"1627207:28320;20509:28315", "1627207:28320:颜色分类:红色;20509:28315:尺码:M", []sdk.Option{{Name: "颜色分类", Value: "红色"}, {Name: "尺码", Value: "M"}}, false},
		"value with colon":  {"1627207:-1001", "1627207:-1001:颜色分类:款式:A", []sdk.Option{{Name: "颜色分类", Value: "款式:A"}}, false},
		"trailing ;":        {"20509:28315;", "20509:28315:尺码:M;", []sdk.Option{{Name: "尺码", Value: "M"}}, false},
		"none":              {"", "", nil, false},
		"names missing":     {"20509:28315", "", nil, true},
		"property unnamed":  {"20509:28315;1627207:28320", "20509:28315:尺码:M", nil, true},
		"short entry":       {"20509:28315", "20509:28315:尺码", nil, true},
		"empty option name": {"20509:28315", "20509:28315::M", nil, true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseOptions(tc.props, tc.names)
			if (err != nil) != tc.bad || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, %v; want %v (error %v)", got, err, tc.want, tc.bad)
			}
		})
	}
}

// BenchmarkMapMultiSKUItem measures mapping one decoded multi-SKU item
// (three pictures, three SKUs, two option axes) into a product.
func BenchmarkMapMultiSKUItem(b *testing.B) {
	it := &loadItems(b, "testdata/items_seller_list_get.json")[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mapItem(it); err != nil {
			b.Fatal(err)
		}
	}
}
