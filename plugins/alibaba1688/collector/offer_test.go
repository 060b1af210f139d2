package collector

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeOffer reads and maps a saved productInfo answer whose SKU
// properties need no category lookup.
func decodeOffer(id string, body []byte) (*sdk.Product, *sdk.Error, error) {
	return decodeOfferNamed(id, body, nil)
}

// decodeOfferNamed reads and maps a saved answer with names, its
// category's attribute names by id.
func decodeOfferNamed(id string, body []byte, names map[string]string) (*sdk.Product, *sdk.Error, error) {
	info, perr, err := readOffer(id, body)
	if err != nil || perr != nil {
		return nil, perr, err
	}
	p, perr := mapOffer(id, info, names)
	return p, perr, nil
}

func cny(amount int64) sdk.Money { return sdk.Money{Amount: amount, Currency: "CNY"} }

func TestMapMultiSKUOffer(t *testing.T) {
	p, perr, err := decodeOffer("584051070147", readTestdata(t, "multi_sku.json"))
	if err != nil || perr != nil {
		t.Fatalf("decodeOffer: %v, %v", err, perr)
	}
	black := "https://cbu01.alicdn.com/img/ibank/2018/221/909/9143909122_1606139362.jpg"
	want := &sdk.Product{
		ID:          "584051070147",
		Source:      "alibaba1688",
		Title:       map[string]string{"zh-CN": "高端气质OL韩版雪纺女装套头半高领长袖修身型蕾丝衫"},
		Description: map[string]string{"zh-CN": `<p>高端气质OL韩版雪纺女装</p><img src="https://cbu01.alicdn.com/img/ibank/2018/221/909/9143909122_1606139362.jpg"/>`},
		Images: []sdk.Image{
			{URL: "https://cbu01.alicdn.com/img/ibank/2014/766/624/1652426667_642119312.jpg"},
			{URL: "https://cbu01.alicdn.com/img/ibank/2014/656/624/1652426656_642119312.jpg"},
			{URL: "https://cbu01.alicdn.com/img/ibank/2014/236/624/1652426632_642119312.jpg"},
		},
		Attributes: []sdk.Attribute{
			{Name: "品牌", Value: "拾光", Locale: "zh-CN"},
			{Name: "材质", Value: "雪纺", Locale: "zh-CN"},
		},
		Variants: []sdk.Variant{
			{SKU: "3746778972330", Options: []sdk.Option{{Name: "颜色", Value: "黑色"}, {Name: "尺码", Value: "S"}}, Price: cny(4000), Stock: 1200, Image: black},
			{SKU: "3746778972331", Options: []sdk.Option{{Name: "颜色", Value: "黑色"}, {Name: "尺码", Value: "M"}}, Price: cny(4050), Stock: 0, Image: black},
			// consignPrice wins over the SKU's quoted price.
			{SKU: "3746778972332", Options: []sdk.Option{{Name: "颜色", Value: "米白色"}, {Name: "尺码", Value: "S"}}, Price: cny(4580), Stock: 356,
				Image: "https://cbu01.alicdn.com/img/ibank/2018/502/115/9153511205_1606139362.jpg"},
		},
		URL:       "https://detail.1688.com/offer/584051070147.html",
		UpdatedAt: time.Date(2018, 12, 19, 9, 55, 5, 0, time.UTC),
	}
	if !p.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("UpdatedAt %v, want %v", p.UpdatedAt, want.UpdatedAt)
	}
	p.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got\n%+v\nwant\n%+v", p, want)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("mapped product is invalid: %v", err)
	}
}

func TestMapSKULessOffer(t *testing.T) {
	p, perr, err := decodeOffer("570027659932", readTestdata(t, "sku_less.json"))
	if err != nil || perr != nil {
		t.Fatalf("decodeOffer: %v, %v", err, perr)
	}
	// No consignPrice: the tier with the smallest start quantity (3
	// pieces at 13 yuan) is the price, whatever the tiers' order.
	want := []sdk.Variant{{SKU: "570027659932", Price: cny(1300), Stock: 24000}}
	if !reflect.DeepEqual(p.Variants, want) {
		t.Errorf("variants %+v, want %+v", p.Variants, want)
	}
	if len(p.Images) != 1 || p.Images[0].URL != "https://cbu01.alicdn.com/img/ibank/2018/178/658/8855856871_1630100306.jpg" {
		t.Errorf("images %+v", p.Images)
	}
	if want := time.Date(2024, 1, 1, 19, 4, 5, 6e6, time.UTC); !p.UpdatedAt.Equal(want) {
		t.Errorf("UpdatedAt %v, want %v", p.UpdatedAt, want)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("invalid: %v", err)
	}
}

func TestMapConsignPriceNoImagesEnglish(t *testing.T) {
	p, perr, err := decodeOffer("612000000011", readTestdata(t, "consign_no_images.json"))
	if err != nil || perr != nil {
		t.Fatalf("decodeOffer: %v, %v", err, perr)
	}
	if p.Title["en"] != "Silicone phone case" || len(p.Title) != 1 {
		t.Errorf("title %v, want the en tag from language ENGLISH", p.Title)
	}
	if len(p.Images) != 0 {
		t.Errorf("images %v, want none", p.Images)
	}
	want := []sdk.Variant{{SKU: "612000000011", Price: cny(400), Stock: 80}}
	if !reflect.DeepEqual(p.Variants, want) {
		t.Errorf("variants %+v, want %+v (the offer's consignPrice)", p.Variants, want)
	}
	if !p.UpdatedAt.IsZero() {
		t.Errorf("UpdatedAt %v without lastUpdateTime", p.UpdatedAt)
	}
}

func TestOffersThatMapToPerItemErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		id, file string
		kind     sdk.ErrorKind
		code     string
	}{
		"off-shelf":             {"573741401425", "off_shelf.json", sdk.KindNotFound, CodeOfferStatus},
		"does not exist":        {"57374140142", "not_found.json", sdk.KindNotFound, CodeNoSuchOffer},
		"no listing relation":   {"57374140142", "no_permission.json", sdk.KindInvalid, CodeNoPermission},
		"three decimals":        {"612000000099", "three_decimals.json", sdk.KindInvalid, CodeBadOffer},
		"another offer's reply": {"1", "sku_less.json", sdk.KindInvalid, CodeBadOffer},
	} {
		t.Run(name, func(t *testing.T) {
			p, perr, err := decodeOffer(tc.id, readTestdata(t, tc.file))
			if err != nil {
				t.Fatalf("whole-call error %v", err)
			}
			if p != nil || perr == nil || perr.Kind != tc.kind || perr.Code != tc.code {
				t.Errorf("got %v, %v; want %s %s", p, perr, tc.kind, tc.code)
			}
		})
	}
}

// An offer that maps into a product the canonical model refuses (here two
// SKUs with one skuId) is refused alone, saying which offer.
func TestOfferBreakingTheModelIsInvalid(t *testing.T) {
	in := &productInfo{
		ProductID: "612000000123", Status: "published", Subject: "重复SKU",
		SKUInfos: []skuInfo{{SKUID: "1", Price: "1"}, {SKUID: "1", Price: "2"}},
	}
	p, perr := mapOffer("612000000123", in, nil)
	if p != nil || perr == nil || perr.Kind != sdk.KindInvalid || !strings.Contains(perr.Message, "612000000123") {
		t.Errorf("got %v, %v; want INVALID naming the offer", p, perr)
	}
}

func TestGarbledReplyIsAWholeCallError(t *testing.T) {
	full := readTestdata(t, "multi_sku.json")
	for name, body := range map[string][]byte{
		"truncated": full[:len(full)/2],
		"garbage":   {0xff, 0x00, 0x13},
		"empty":     []byte(`{}`),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := decodeOffer("584051070147", body)
			if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindUnavailable {
				t.Errorf("got %v, want UNAVAILABLE", err)
			}
		})
	}
}

func TestImageURL(t *testing.T) {
	for in, want := range map[string]string{
		"img/ibank/a.jpg":                   "https://cbu01.alicdn.com/img/ibank/a.jpg",
		"/img/ibank/a.jpg":                  "https://cbu01.alicdn.com/img/ibank/a.jpg",
		"//img.alicdn.com/imgextra/a.jpg":   "https://img.alicdn.com/imgextra/a.jpg",
		"https://cbu01.alicdn.com/x.png":    "https://cbu01.alicdn.com/x.png",
		"  http://cbu01.alicdn.com/y.png  ": "http://cbu01.alicdn.com/y.png",
		"":                                  "",
	} {
		if got := imageURL(in); got != want {
			t.Errorf("imageURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkMapMultiSKUOffer measures decoding and mapping one multi-SKU
// productInfo reply, the work per product of FetchProducts apart from the
// network.
func BenchmarkMapMultiSKUOffer(b *testing.B) {
	body := readTestdata(b, "multi_sku.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, perr, err := decodeOffer("584051070147", body); err != nil || perr != nil {
			b.Fatal(err, perr)
		}
	}
}
