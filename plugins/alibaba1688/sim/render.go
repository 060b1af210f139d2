package sim

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// The reply bodies, in the shape of the documentation pages of
// com.alibaba.product:alibaba.cross.productInfo-1 and
// com.alibaba.fenxiao.crossborder:product.search.querySellerOfferList-1.
// Numbers are json.Number so prices go out exactly as written.

type wireProductInfoReply struct {
	ProductInfo *wireProduct `json:"productInfo,omitempty"`
	Success     bool         `json:"success"`
	Message     string       `json:"message,omitempty"`
}

type wireProduct struct {
	ProductID        json.Number     `json:"productID"`
	ProductType      string          `json:"productType"`
	CategoryID       json.Number     `json:"categoryID"`
	CategoryName     string          `json:"categoryName"`
	Attributes       []wireAttribute `json:"attributes"`
	Status           string          `json:"status,omitempty"`
	Subject          string          `json:"subject"`
	Description      string          `json:"description"`
	Language         string          `json:"language"`
	PeriodOfValidity int             `json:"periodOfValidity"`
	BizType          int             `json:"bizType"`
	Image            *wireImage      `json:"image,omitempty"`
	SKUInfos         []wireSKU       `json:"skuInfos,omitempty"`
	SaleInfo         wireSaleInfo    `json:"saleInfo"`
	SupplierLoginID  string          `json:"supplierLoginId"`
	LastUpdateTime   string          `json:"lastUpdateTime"`
}

type wireAttribute struct {
	AttributeID   json.Number `json:"attributeID"`
	AttributeName string      `json:"attributeName"`
	Value         string      `json:"value"`
	IsCustom      bool        `json:"isCustom"`
}

type wireImage struct {
	Images []string `json:"images"`
}

type wireSKU struct {
	Attributes   []wireSKUAttribute `json:"attributes"`
	CargoNumber  string             `json:"cargoNumber"`
	AmountOnSale json.Number        `json:"amountOnSale"`
	Price        json.Number        `json:"price,omitempty"`
	PriceRange   []wirePriceRange   `json:"priceRange,omitempty"`
	ConsignPrice json.Number        `json:"consignPrice,omitempty"`
	SKUID        json.Number        `json:"skuId"`
	SpecID       string             `json:"specId"`
}

type wireSKUAttribute struct {
	AttributeID          json.Number `json:"attributeID"`
	AttributeValue       string      `json:"attributeValue"`
	SKUImageURL          string      `json:"skuImageUrl,omitempty"`
	AttributeDisplayName string      `json:"attributeDisplayName,omitempty"`
}

type wireSaleInfo struct {
	SupportOnlineTrade bool             `json:"supportOnlineTrade"`
	MixWholeSale       bool             `json:"mixWholeSale"`
	PriceAuth          bool             `json:"priceAuth"`
	PriceRanges        []wirePriceRange `json:"priceRanges"`
	AmountOnSale       json.Number      `json:"amountOnSale"`
	Unit               string           `json:"unit"`
	MinOrderQuantity   json.Number      `json:"minOrderQuantity"`
	QuoteType          int              `json:"quoteType"`
	ConsignPrice       json.Number      `json:"consignPrice,omitempty"`
}

type wirePriceRange struct {
	StartQuantity json.Number `json:"startQuantity"`
	Price         json.Number `json:"price"`
}

func (o *offer) wire() *wireProduct {
	num := func(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }
	money := func(fen int64) json.Number { return json.Number(fenLiteral(fen, o.wholeAsDouble)) }
	w := &wireProduct{
		ProductID:    json.Number(o.id),
		ProductType:  "wholesale",
		CategoryID:   json.Number(o.categoryID),
		CategoryName: o.category,
		Attributes: []wireAttribute{
			{AttributeID: attrBrand, AttributeName: "品牌", Value: o.brand},
			{AttributeID: attrMaterial, AttributeName: "材质", Value: o.material},
		},
		Status:           o.status,
		Subject:          o.subject,
		Description:      "<p>" + o.subject + "</p>",
		Language:         "CHINESE",
		PeriodOfValidity: 3650,
		BizType:          1,
		SupplierLoginID:  "simshop" + strconv.Itoa(o.shop),
		LastUpdateTime:   o.updated.Format("20060102150405") + o.updated.Format(".000")[1:] + o.updated.Format("-0700"),
		SaleInfo: wireSaleInfo{
			SupportOnlineTrade: true,
			MixWholeSale:       len(o.skus) > 0,
			AmountOnSale:       json.Number(strconv.FormatInt(o.stock, 10) + ".0"),
			Unit:               "件",
			MinOrderQuantity:   num(o.tiers[0].startQty),
			QuoteType:          o.quoteType,
		},
	}
	if o.noStatus {
		w.Status = ""
	}
	if o.saleAttr {
		w.Attributes = append(w.Attributes, wireAttribute{AttributeID: attrColor, AttributeName: "颜色", Value: o.skus[0].color})
	}
	if len(o.images) > 0 {
		w.Image = &wireImage{Images: o.imageList()}
	}
	for _, t := range o.tiers {
		w.SaleInfo.PriceRanges = append(w.SaleInfo.PriceRanges, wirePriceRange{StartQuantity: num(t.startQty), Price: money(t.priceFen)})
	}
	if o.consignFen > 0 {
		w.SaleInfo.ConsignPrice = money(o.consignFen)
	}
	for _, s := range o.skus {
		display := func(name string) string {
			if o.namesInAnswer {
				return name
			}
			return ""
		}
		ws := wireSKU{
			Attributes:   []wireSKUAttribute{{AttributeID: attrColor, AttributeValue: s.color, SKUImageURL: s.image, AttributeDisplayName: display("颜色")}},
			CargoNumber:  "C" + o.id[len(o.id)-4:],
			AmountOnSale: num(s.stock),
			SKUID:        num(s.skuID),
			SpecID:       s.specID,
		}
		if s.size != "" {
			ws.Attributes = append(ws.Attributes, wireSKUAttribute{AttributeID: attrSize, AttributeValue: s.size, AttributeDisplayName: display("尺码")})
		}
		if o.quoteType == 1 {
			ws.Price = money(s.priceFen)
		}
		for _, t := range s.tiers {
			ws.PriceRange = append(ws.PriceRange, wirePriceRange{StartQuantity: num(t.startQty), Price: money(t.priceFen)})
		}
		if s.consignFen > 0 {
			ws.ConsignPrice = money(s.consignFen)
		}
		w.SKUInfos = append(w.SKUInfos, ws)
	}
	return w
}

// imageList is the main image list as the reply gives it: each picture,
// and the repeats, each a picture already listed, written in another of
// the three path forms.
func (o *offer) imageList() []string {
	out := slices.Clone(o.images)
	for k := range o.repeats {
		p := o.images[k%len(o.images)]
		switch {
		case strings.HasPrefix(p, "//"):
			p = strings.TrimPrefix(p, "//cbu01.alicdn.com/")
		case strings.HasPrefix(p, "https://"):
			p = strings.TrimPrefix(p, "https:")
		default:
			p = "https://cbu01.alicdn.com/" + p
		}
		out = append(out, p)
	}
	return out
}

// encode renders a reply of this offer: as Go encodes it, then with
// ids, stock and prices as strings, and non-ASCII characters escaped,
// when the offer's answers take those shapes.
func (o *offer) encode(reply any) json.RawMessage {
	b, err := json.Marshal(reply)
	if err != nil {
		panic(err)
	}
	if o.stringNumbers {
		b = numberFields.ReplaceAll(b, []byte(`"$1":"$2"`))
	}
	if o.escaped {
		b = simkit.ASCIIJSON(b)
	}
	return b
}

// numberFields are the numeric fields an answer may send as strings.
var numberFields = regexp.MustCompile(`"(productID|amountOnSale|price|consignPrice|skuId|startQuantity)":([0-9.]+)`)

type wireShopReply struct {
	Result wireShopResult `json:"result"`
}

type wireShopResult struct {
	Success bool          `json:"success"`
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Result  *wireShopPage `json:"result,omitempty"`
}

type wireShopPage struct {
	TotalRecords int             `json:"totalRecords"`
	TotalPage    int             `json:"totalPage"`
	PageSize     int             `json:"pageSize"`
	CurrentPage  int             `json:"currentPage"`
	Data         []wireShopOffer `json:"data"`
}

type wireShopOffer struct {
	ImageURL     string        `json:"imageUrl"`
	Subject      string        `json:"subject"`
	SubjectTrans string        `json:"subjectTrans"`
	OfferID      json.Number   `json:"offerId"`
	IsJxhy       bool          `json:"isJxhy"`
	MonthSold    int           `json:"monthSold"`
	IsOnePsale   bool          `json:"isOnePsale"`
	PriceInfo    wirePriceInfo `json:"priceInfo"`
}

type wirePriceInfo struct {
	Price string `json:"price"`
}
