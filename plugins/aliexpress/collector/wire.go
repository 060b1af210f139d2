package collector

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/marketsync/marketsync/plugins/aliexpress/iop"
)

// List is a list in the platform's JSON. The /sync gateway writes lists
// the TOP way, as an object whose one key names the element type:
//
//	"ae_item_sku_info_dtos": {"ae_item_sku_info_d_t_o": [ … ]}
//
// while simplified answers write a bare array; List reads both.
type List[T any] []T

// UnmarshalJSON accepts an array, an object holding one array, or null.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*l = nil
		return nil
	}
	if b[0] == '[' {
		var items []T
		err := json.Unmarshal(b, &items)
		*l = items
		return err
	}
	var wrapper map[string]json.RawMessage
	if err := json.Unmarshal(b, &wrapper); err != nil {
		return err
	}
	if len(wrapper) > 1 {
		return fmt.Errorf("list object has %d keys, want one", len(wrapper))
	}
	for _, inner := range wrapper {
		var items []T
		err := json.Unmarshal(inner, &items)
		*l = items
		return err
	}
	*l = nil
	return nil
}

// ProductGetResponse is the aliexpress_ds_product_get_response object of
// aliexpress.ds.product.get. Field names are those of the API's
// documentation (https://open.alitrip.com/docs/doc.htm?articleId=60452&docType=2&treeId=762:
// ae_item_base_info_dto, ae_item_sku_info_dtos with id and sku_stock, …)
// and of answers the platform gave (rsp_code 200 "Call succeeds",
// sku_id, sku_price, offer_sale_price, sku_available_stock, currency_code,
// ae_sku_property_dtos, ae_multimedia_info_dto.image_urls joined by ";").
type ProductGetResponse struct {
	RspCode   iop.Scalar     `json:"rsp_code"`
	RspMsg    string         `json:"rsp_msg"`
	Result    *ProductResult `json:"result"`
	RequestID string         `json:"request_id"`
}

// ProductResult is the product.
type ProductResult struct {
	Base       BaseInfo           `json:"ae_item_base_info_dto"`
	SKUs       List[SKUInfo]      `json:"ae_item_sku_info_dtos"`
	Multimedia *Multimedia        `json:"ae_multimedia_info_dto"`
	Properties List[ItemProperty] `json:"ae_item_properties"`
}

// BaseInfo is ae_item_base_info_dto.
type BaseInfo struct {
	ProductID iop.Scalar `json:"product_id"`
	Subject   string     `json:"subject"`
	// CurrencyCode is the product's own currency (CNY for a Chinese
	// seller), not that of the SKU prices.
	CurrencyCode string `json:"currency_code"`
	// ProductStatusType is "onSelling" for a product on sale; "offline",
	// "auditing" and "editingRequired" are the other states
	// aliexpress.solution.product.list.get names.
	ProductStatusType string `json:"product_status_type"`
	// WsDisplay says why a product went offline: user_offline,
	// expire_offline, violate_offline, punish_offline, degrade_offline.
	WsDisplay   string `json:"ws_display"`
	Detail      string `json:"detail"`
	GmtModified string `json:"gmt_modified"`
}

// SKUInfo is one ae_item_sku_info_d_t_o.
type SKUInfo struct {
	SkuID iop.Scalar `json:"sku_id"`
	// SkuAttr is the SKU's property combination with the seller's value
	// names, "14:29#Bear;183:200007741": the field that identifies a SKU
	// to the dropshipping APIs (aliexpress.ds.order.create takes it) and
	// that replaces id, which the documentation retires from 2025-02-28.
	SkuAttr string `json:"sku_attr"`
	// ID is the same combination under its former name, which answers
	// still carry, alone in older ones.
	ID             string     `json:"id"`
	SkuCode        string     `json:"sku_code"`
	SkuPrice       string     `json:"sku_price"`
	OfferSalePrice string     `json:"offer_sale_price"`
	CurrencyCode   string     `json:"currency_code"`
	AvailableStock iop.Scalar `json:"sku_available_stock"`
	IpmSkuStock    iop.Scalar `json:"ipm_sku_stock"`
	// SkuStock is only whether there is stock.
	SkuStock   iop.Scalar        `json:"sku_stock"`
	Properties List[SKUProperty] `json:"ae_sku_property_dtos"`
}

// SKUProperty is one ae_sku_property_d_t_o, an axis value of a SKU.
type SKUProperty struct {
	SkuPropertyID    iop.Scalar `json:"sku_property_id"`
	SkuPropertyName  string     `json:"sku_property_name"`
	SkuPropertyValue string     `json:"sku_property_value"`
	// PropertyValueDefinitionName is the seller's own name for the value,
	// which buyers see instead of the standard one.
	PropertyValueDefinitionName string     `json:"property_value_definition_name"`
	PropertyValueID             iop.Scalar `json:"property_value_id"`
	SkuImage                    string     `json:"sku_image"`
}

// Multimedia is ae_multimedia_info_dto.
type Multimedia struct {
	// ImageURLs are the product's pictures joined by ";".
	ImageURLs string `json:"image_urls"`
}

// ItemProperty is one ae_item_property, a product attribute.
type ItemProperty struct {
	AttrName  string `json:"attr_name"`
	AttrValue string `json:"attr_value"`
}

// ProductListResponse is the aliexpress_solution_product_list_get_response
// object of aliexpress.solution.product.list.get
// (https://api.alidayu.com/docs/api.htm?apiId=42384; result fields as the
// TOP SDK's ItemListResultDto names them: aeop_a_e_product_display_d_t_o_list
// of item_display_dto, current_page, total_page, product_count, success,
// error_code, error_message).
type ProductListResponse struct {
	Result struct {
		Items        List[ListItem] `json:"aeop_a_e_product_display_d_t_o_list"`
		CurrentPage  iop.Scalar     `json:"current_page"`
		TotalPage    iop.Scalar     `json:"total_page"`
		ProductCount iop.Scalar     `json:"product_count"`
		Success      iop.Scalar     `json:"success"`
		ErrorCode    iop.Scalar     `json:"error_code"`
		ErrorMessage string         `json:"error_message"`
		ErrorMsg     string         `json:"error_msg"`
	} `json:"result"`
}

// ListItem is one item_display_dto; only its id is used.
type ListItem struct {
	ProductID iop.Scalar `json:"product_id"`
}
