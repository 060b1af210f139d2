package main

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

var cny = settings{currency: "CNY", locale: "zh-CN"}

func parseFile(t *testing.T, format, name string) *catalog {
	t.Helper()
	body, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := parseFeed(format, body, cny)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestParseTestdataFeeds(t *testing.T) {
	for format, where := range map[string]string{formatCSV: "row 7", formatJSON: "products[2].variants[1]"} {
		t.Run(format, func(t *testing.T) {
			cat := parseFile(t, format, "testdata/feed."+format)
			if want := []string{"A100", "B200", "C300", "D400", "E500"}; !slices.Equal(cat.ids, want) {
				t.Fatalf("ids %q, want %q", cat.ids, want)
			}

			a := cat.products["A100"]
			if a == nil || a.Title["zh-CN"] != "山海纯棉T恤" || a.Description["zh-CN"] != "100% 纯棉，舒适透气" || len(a.Variants) != 3 {
				t.Fatalf("A100: %+v", a)
			}
			if v := a.Variants[2]; v.SKU != "A100-WHT-M" || v.Price != (sdk.Money{Amount: 6200, Currency: "CNY"}) || v.Stock != 7 ||
				!slices.Equal(v.Options, []sdk.Option{{Name: "颜色", Value: "白色"}, {Name: "尺码", Value: "M"}}) || v.Barcode != "6901234567915" {
				t.Errorf("A100's third variant: %+v", v)
			}
			if len(a.Images) != 2 {
				t.Errorf("A100 images %+v, want the two distinct variant images", a.Images)
			}

			b := cat.products["B200"]
			if b == nil || len(b.Variants) != 1 || b.Variants[0].SKU != "B200" || b.Variants[0].Price.Amount != 12800 || len(b.Variants[0].Options) != 0 {
				t.Errorf("B200, a product without variants: %+v", b)
			}

			if err := cat.errs["C300"]; err == nil || err.Kind != sdk.KindInvalid || err.Code != CodeMalformedRow ||
				!strings.Contains(err.Message, where+": price \"12.345\" has more decimals than CNY allows (2)") {
				t.Errorf("C300 with a malformed row: %v", err)
			}
			if cat.products["C300"] != nil {
				t.Error("C300 has a malformed row but was returned as a product")
			}

			d := cat.products["D400"]
			if d == nil || d.Title["zh-CN"] != `Yixing "zisha" teapot, 紫砂壶` || d.Variants[1].Price.Amount != 45950 {
				t.Errorf("D400: %+v", d)
			}
			if e := cat.products["E500"]; e == nil || e.Title["zh-CN"] != "抹茶 🍵 茶筅セット" {
				t.Errorf("E500: %+v", e)
			}
		})
	}
}

func TestCSVAndJSONFeedsGiveTheSameProducts(t *testing.T) {
	fromCSV := parseFile(t, formatCSV, "testdata/feed.csv")
	fromJSON := parseFile(t, formatJSON, "testdata/feed.json")
	if !reflect.DeepEqual(fromCSV.products, fromJSON.products) {
		t.Errorf("the CSV and JSON forms of one feed differ:\n%+v\n%+v", fromCSV.products, fromJSON.products)
	}
}

func TestMalformedRowsFailTheirProductOnly(t *testing.T) {
	const header = "id,title,sku,price,stock,image\n"
	for name, tc := range map[string]struct {
		rows string
		want string
	}{
		"no title":               {"X1,,X1,1.00,1,\n", "row 2: product X1 has no title"},
		"rows without skus":      {"X1,Cup,,1.00,1,\nX1,,,2.00,1,\n", "row 2: sku is empty; a product with several rows needs one per row"},
		"negative stock":         {"X1,Cup,X1,1.00,-2,\n", `row 2: stock "-2" is not a whole number of at least 0`},
		"fractional stock":       {"X1,Cup,X1,1.00,1.5,\n", `row 2: stock "1.5" is not a whole number`},
		"fields missing":         {"X1,Cup,X1\n", "row 2: 3 fields where the header has 6"},
		"duplicate sku":          {"X1,Cup,S,1.00,1,\nX1,,S,1.00,1,\n", `variants[1].sku: "S" repeats variants[0]`},
		"image that is no URL":   {"X1,Cup,X1,1.00,1,/img/cup.jpg\n", "must be an absolute http(s) URL"},
		"price with a currency":  {"X1,Cup,X1,¥1.00,1,\n", "is not a decimal number"},
		"second of several rows": {"X1,Cup,A,1.00,1,\nX1,,B,x,1,\n", "row 3: price \"x\""},
	} {
		t.Run(name, func(t *testing.T) {
			cat, err := parseFeed(formatCSV, []byte(header+tc.rows+"OK1,Fine,OK1,9.99,1,\n"), cny)
			if err != nil {
				t.Fatal(err)
			}
			if e := cat.errs["X1"]; e == nil || !strings.Contains(e.Message, tc.want) {
				t.Errorf("X1: got %v, want an INVALID containing %q", e, tc.want)
			}
			if cat.products["OK1"] == nil {
				t.Errorf("a good product next to a malformed one was lost: %v", cat.errs["OK1"])
			}
		})
	}
}

func TestUnreadableFeedsFailAsAWhole(t *testing.T) {
	for name, tc := range map[string]struct{ format, body, want string }{
		"empty CSV":          {formatCSV, "", "no header row"},
		"CSV without prices": {formatCSV, "id,title\nX1,Cup\n", `no "price" column`},
		"JSON array":         {formatJSON, `[{"id": "X1"}]`, "not an object with a products list"},
		"truncated JSON":     {formatJSON, `{"products": [{"id": "X1"`, "not an object with a products list"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseFeed(tc.format, []byte(tc.body), cny); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestBrokenQuoteRowIsLeftOut(t *testing.T) {
	cat, err := parseFeed(formatCSV, []byte("id,title,price\nX1,\"Cup\"x,1.00\nOK1,Fine,2.00\n"), cny)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cat.ids, []string{"OK1"}) {
		t.Errorf("ids %q, want only the readable row's", cat.ids)
	}
}

func TestDetectFormat(t *testing.T) {
	for name, tc := range map[string]struct{ url, contentType, body, want string }{
		"csv extension":      {"https://s.example/feed.CSV?key=1", "application/json", "{}", formatCSV},
		"json extension":     {"https://s.example/feed.json", "", "id", formatJSON},
		"csv content type":   {"https://s.example/export", "text/csv; charset=utf-8", "{", formatCSV},
		"json content type":  {"https://s.example/export", "application/json", "", formatJSON},
		"json by first byte": {"https://s.example/export", "application/octet-stream", "  {\"products\": []}", formatJSON},
		"json array":         {"https://s.example/export", "", "[{}]", formatJSON},
		"csv by default":     {"https://s.example/export", "", "id,title", formatCSV},
	} {
		t.Run(name, func(t *testing.T) {
			if got := detectFormat(tc.url, tc.contentType, []byte(tc.body)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
