package collector

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/taobao/top"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
)

// normalized is p as the host stores it: converted to the model and
// through model.Normalize, which drops repeated pictures and attributes
// that restate an option.
func normalized(p *sdk.Product) *sdk.Product {
	m := host.ProductToModel(p)
	model.Normalize(m)
	return host.ProductFromModel(m)
}

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
			Title:       map[string]string{"zh-CN": "太平鸟2026夏季新款纯棉短袖T恤女宽松百搭上衣"},
			Description: map[string]string{"zh-CN": `<p>纯棉面料，<b>宽松</b>版型</p><img src="https://img.alicdn.com/imgextra/i1/2206543210987/O1CN01desc_!!2206543210987.jpg">`},
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
				{SKU: "5012345678901", Options: []sdk.Option{{Name: "颜色分类", Value: "红色"}, {Name: "尺码", Value: "M", StandardValue: "165/88(M)"}}, Price: cny(5990), Stock: 80},
				{SKU: "5012345678902", Options: []sdk.Option{{Name: "颜色分类", Value: "黑色"}, {Name: "尺码", Value: "L", StandardValue: "170/92(L)"}}, Price: cny(6900), Stock: 50},
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
			p = normalized(p)
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
		"escaped colon":     {"20509:28315", "20509:28315:尺码#cln#建议:M#scln#L", []sdk.Option{{Name: "尺码:建议", Value: "M;L"}}, false},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseOptions(tc.props, tc.names, nil)
			if (err != nil) != tc.bad || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, %v; want %v (error %v)", got, err, tc.want, tc.bad)
			}
		})
	}
}

// The real answer keeps its off-shelf status: as saved, it is NOT_FOUND.
// Put on sale, it shows what a buyer sees: the sizes under the seller's
// aliases over the standard values, the sale properties only as options,
// every picture once, prices in fen and the item's stock spread over its
// SKUs.
func TestMapRealItem(t *testing.T) {
	raw, err := os.ReadFile("testdata/item_get_real_yad.json")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Resp struct {
			Item item `json:"item"`
		} `json:"item_get_response"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	it := body.Resp.Item
	if p, perr := mapItem(&it); p != nil || perr == nil || perr.Code != "off_shelf" {
		t.Fatalf("instock item: %v, %v", p, perr)
	}
	it.ApproveStatus = "onsale"
	got, perr := mapItem(&it)
	if perr != nil {
		t.Fatal(perr)
	}
	p := normalized(got)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.ID != "5192139988" || p.Title["zh-CN"] != "YAD圆领男士t恤男装纯棉短袖印花修身型黑色白色骷髅头红色蓝色" || p.URL != "https://item.taobao.com/item.htm?id=5192139988" {
		t.Errorf("id %s title %v url %s", p.ID, p.Title, p.URL)
	}
	if want := time.Date(2014, 1, 31, 5, 27, 47, 0, time.UTC); !p.UpdatedAt.Equal(want) {
		t.Errorf("updated_at %v, want %v", p.UpdatedAt, want)
	}
	if len(p.Images) != 5 || p.Images[1].URL != "http://img04.taobaocdn.com/bao/uploaded/i4/T1hkecXgppXXcFCmba_121930.jpg" {
		t.Errorf("images %v", p.Images)
	}
	var names []string
	for _, a := range p.Attributes {
		names = append(names, a.Name+"="+a.Value)
	}
	if want := "袖长=短袖（袖长<35cm）,货号=SZ038A,领型=圆领,面料分类=其他针织布,款式细节=印花,品牌=YAD/亚道,版型=修身型"; strings.Join(names, ",") != want {
		t.Errorf("attributes\n%s\nwant\n%s", strings.Join(names, ","), want)
	}
	if len(p.Variants) != 16 {
		t.Fatalf("%d variants, want 16", len(p.Variants))
	}
	first := sdk.Variant{SKU: "8982730436", Options: []sdk.Option{{Name: "颜色", Value: "白色"}, {Name: "尺码", Value: "XL", StandardValue: "180/100(XL)"}}, Price: cny(9600), Stock: 25}
	if !reflect.DeepEqual(p.Variants[0], first) {
		t.Errorf("first variant %+v, want %+v", p.Variants[0], first)
	}
	var stock int64
	for _, v := range p.Variants {
		stock += v.Stock
		size := v.Options[1]
		if v.Price != cny(9600) || size.Name != "尺码" || !strings.HasSuffix(size.StandardValue, "("+size.Value+")") {
			t.Errorf("variant %s: %+v", v.SKU, v)
		}
	}
	if stock != 236 {
		t.Errorf("stock over the SKUs %d, want the item's num 236", stock)
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

func TestParseOptionsUsesTheSellersAlias(t *testing.T) {
	aliases, err := ParseAliases("1627207:28320:奶白;20509:28315:M;20509:28316:#cln#L#scln#;1627207:28341:")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseOptions("1627207:28320;20509:28315;20509:28317", "1627207:28320:颜色分类:白色;20509:28315:尺码:170/90(M);20509:28317:尺码:XL", aliases)
	want := []sdk.Option{
		{Name: "颜色分类", Value: "奶白", StandardValue: "白色"},
		{Name: "尺码", Value: "M", StandardValue: "170/90(M)"},
		{Name: "尺码", Value: "XL"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	if aliases["20509:28316"] != ":L;" || len(aliases) != 3 {
		t.Errorf("aliases %v: an escaped alias is restored and an empty one ignored", aliases)
	}
	for _, bad := range []string{"1627207:白色", "1627207", ":28320:白色"} {
		if _, err := ParseAliases(bad); err == nil {
			t.Errorf("ParseAliases(%q) accepted", bad)
		}
	}
}

// TestAMalformedNumberFailsItsItemAlone: quoted numbers are read per item,
// so an empty or garbled price in one item of a list answer fails that
// item, and the answer's other items map.
func TestAMalformedNumberFailsItsItemAlone(t *testing.T) {
	raw := `{"items":{"item":[
		{"num_iid":"1","title":"a","approve_status":"onsale","price":"","num":"3","pic_url":"https://img.alicdn.com/1.jpg"},
		{"num_iid":2,"title":"b","approve_status":"onsale","price":"9.90","num":5,"pic_url":"https://img.alicdn.com/2.jpg"}]}}`
	var body itemList[item]
	if err := json.Unmarshal([]byte(raw), &body); err != nil {
		t.Fatalf("the whole answer failed: %v", err)
	}
	its := body.Items.Item
	if len(its) != 2 {
		t.Fatalf("%d items", len(its))
	}
	if p, perr := mapItem(&its[0]); p != nil || perr == nil {
		t.Errorf("item with an empty price mapped: %v, %v", p, perr)
	}
	p, perr := mapItem(&its[1])
	if perr != nil || p.Variants[0].Price != cny(990) || p.Variants[0].Stock != 5 {
		t.Errorf("good item: %+v, %v", p, perr)
	}
}
