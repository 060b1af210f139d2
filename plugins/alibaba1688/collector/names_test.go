package collector

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// The documented example of the product model names its SKU properties by
// attributeID alone (3216 and 450). Its status is "member deleted": as
// published, it is an offer not on sale, refused without asking for
// names.
func TestDocumentedExampleIsNotOnSale(t *testing.T) {
	body := readTestdata(t, "doc_product_get.json")
	info, perr, err := readOffer("557235167116", body)
	if err != nil || perr != nil {
		t.Fatalf("readOffer: %v, %v", err, perr)
	}
	if got := info.unnamedAttrs(); !reflect.DeepEqual(got, []string{"3216", "450"}) {
		t.Errorf("unnamed SKU properties %v, want [3216 450]", got)
	}
	p, perr := mapOffer("557235167116", info, nil)
	if p != nil || perr == nil || perr.Kind != sdk.KindNotFound || perr.Code != CodeOfferStatus {
		t.Errorf("got %v, %v; want NOT_FOUND %s", p, perr, CodeOfferStatus)
	}
}

// The same answer on sale (its status the one thing changed), with its
// category's names: options carry the names a buyer sees, never the ids.
func TestDocumentedExampleOnSaleTakesCategoryNames(t *testing.T) {
	body := bytes.Replace(readTestdata(t, "doc_product_get.json"), []byte(`"member deleted"`), []byte(`"published"`), 1)
	names := map[string]string{"3216": "颜色", "450": "尺码", "2489638": "风格类型"}
	p, perr, err := decodeOfferNamed("557235167116", body, names)
	if err != nil || perr != nil {
		t.Fatalf("decode: %v, %v", err, perr)
	}
	want := &sdk.Product{
		ID:          "557235167116",
		Source:      Source,
		Title:       map[string]string{"zh-CN": "2017汇族美新品原创手工森系女鞋春季花朵低跟舒适浅口单鞋"},
		Description: map[string]string{"zh-CN": "描述"},
		Images:      []sdk.Image{{URL: "https://cbu01.alicdn.com/img/ibank/2017/992/417/3971714299_420783022.jpg"}},
		Attributes: []sdk.Attribute{
			{Name: "流行元素", Value: "花朵", Locale: "zh-CN"},
			{Name: "流行元素", Value: "金属", Locale: "zh-CN"},
			{Name: "鞋头形状", Value: "扁头", Locale: "zh-CN"},
		},
		// No SKU price or consignPrice: the smallest tier, 3 pieces at 258.
		Variants: []sdk.Variant{{
			SKU: "3452683925966", Price: cny(25800), Stock: 106,
			Options: []sdk.Option{{Name: "颜色", Value: "烧焦卡其"}, {Name: "尺码", Value: "38"}},
			Image:   "https://cbu01.alicdn.com/img/ibank/2017/216/154/3972451612_420783022.jpg",
		}},
		URL: "https://detail.1688.com/offer/557235167116.html",
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got\n%+v\nwant\n%+v", p, want)
	}
	// The documented example has no lastUpdateTime: UpdatedAt stays unset
	// rather than invented.
	if !p.UpdatedAt.IsZero() {
		t.Errorf("UpdatedAt %v from an answer without lastUpdateTime", p.UpdatedAt)
	}
	// As the host stores it: nothing of it is a repeat or a sale property.
	m := host.ProductToModel(p)
	model.Normalize(m)
	if err := m.Validate(); err != nil || len(m.GetAttributes()) != 3 || len(m.GetImages()) != 1 {
		t.Errorf("normalised: %v; %d attributes, %d images, want 3 and 1", err, len(m.GetAttributes()), len(m.GetImages()))
	}
}

// Without names for a SKU property the offer fails alone, saying which
// property and category, rather than showing an option called "3216".
func TestUnnamedSKUPropertyFailsTheOffer(t *testing.T) {
	body := bytes.Replace(readTestdata(t, "doc_product_get.json"), []byte(`"member deleted"`), []byte(`"published"`), 1)
	p, perr, err := decodeOfferNamed("557235167116", body, map[string]string{"3216": "颜色"})
	if err != nil {
		t.Fatal(err)
	}
	if p != nil || perr == nil || perr.Kind != sdk.KindInvalid || perr.Code != CodeUnnamedOption ||
		!strings.Contains(perr.Message, "450") || !strings.Contains(perr.Message, "126506005") {
		t.Errorf("got %v, %v; want INVALID %s naming property 450 and category 126506005", p, perr, CodeUnnamedOption)
	}
}

func TestDocumentedCategoryAnswer(t *testing.T) {
	names, err := parseCategoryNames("126506005", readTestdata(t, "doc_category_attribute_get.json"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, map[string]string{"2489638": "风格类型"}) {
		t.Errorf("names %v", names)
	}
}

func TestCategoryAnswerRefusals(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		kind sdk.ErrorKind
		code string
	}{
		"documented retry later": {`{"success":false,"errorCode":"500_2","errorMsg":"数据准备中,请稍后重试。"}`, sdk.KindUnavailable, "500_2"},
		"other business error":   {`{"success":false,"errorCode":"500_1","errorMsg":"类目不存在"}`, sdk.KindInvalid, "500_1"},
		"success as a string":    {`{"success":"false","errorMsg":"x"}`, sdk.KindInvalid, CodeBusinessError},
		"neither":                {`{}`, sdk.KindUnavailable, CodeBadResponse},
		"garbled":                {`{"attributes":[`, sdk.KindUnavailable, CodeBadResponse},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseCategoryNames("1", []byte(tc.body), time.Now())
			if e, ok := sdk.AsError(err); !ok || e.Kind != tc.kind || e.Code != tc.code {
				t.Errorf("got %v, want %s %s", err, tc.kind, tc.code)
			} else if tc.code == codeDataPreparing && e.RetryAfter != 3*time.Second {
				t.Errorf("retry after %v, want the documented 3s at most", e.RetryAfter)
			}
		})
	}
}

// A SKU's own price tiers (priceRange, offers priced in tiers per SKU)
// come before the offer's: the smallest of them is the SKU's price.
func TestSKUPriceRangeBeforeTheOffers(t *testing.T) {
	in := &productInfo{
		ProductID: "612000000124", Subject: "阶梯价",
		SKUInfos: []skuInfo{
			{SKUID: "1", Attributes: []skuAttr{{AttributeID: "3216", AttributeValue: "红色"}},
				PriceRange: []priceRange{{StartQuantity: "10", Price: "8.5"}, {StartQuantity: "2", Price: "9.9"}}},
			{SKUID: "2", Attributes: []skuAttr{{AttributeID: "3216", AttributeValue: "蓝色"}}},
		},
		SaleInfo: saleInfo{PriceRanges: []priceRange{{StartQuantity: "1", Price: "12"}}},
	}
	p, perr := mapOffer("612000000124", in, map[string]string{"3216": "颜色"})
	if perr != nil {
		t.Fatal(perr)
	}
	if p.Variants[0].Price != cny(990) || p.Variants[1].Price != cny(1200) {
		t.Errorf("prices %v and %v, want 9.90 (the SKU's smallest tier) and 12.00 (the offer's)", p.Variants[0].Price, p.Variants[1].Price)
	}
}

// One call per category however many offers of it are fetched, also when
// they ask at once; failures are not kept; an entry expires after
// categoryTTL and the next offer asks again.
func TestCategoryNamesAreCachedPerCategory(t *testing.T) {
	clock := simkit.NewFakeClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	calls := map[string]int{}
	fail := true
	c := newCategoryNames(clock.Now, func(_ context.Context, cat string) (map[string]string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[cat]++
		if cat == "bad" && fail {
			return nil, sdk.Unavailable("500_2", "later")
		}
		return map[string]string{"3216": "颜色 of " + cat}, nil
	})
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if m, err := c.Get(ctx, "1048182"); err != nil || m["3216"] != "颜色 of 1048182" {
				t.Errorf("names: %v, %v", m, err)
			}
		})
	}
	wg.Wait()
	c.Get(ctx, "2")
	if _, err := c.Get(ctx, "bad"); err == nil {
		t.Error("a failed lookup answered names")
	}
	fail = false
	if _, err := c.Get(ctx, "bad"); err != nil {
		t.Errorf("second lookup after a failure: %v", err)
	}
	if want := map[string]int{"1048182": 1, "2": 1, "bad": 2}; !reflect.DeepEqual(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
	clock.Advance(categoryTTL - time.Second)
	c.Get(ctx, "1048182")
	clock.Advance(time.Second)
	c.Get(ctx, "1048182")
	if calls["1048182"] != 2 {
		t.Errorf("a second before and at the TTL: %d calls for the category in all, want 2", calls["1048182"])
	}
}
