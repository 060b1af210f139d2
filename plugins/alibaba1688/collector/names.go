package collector

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/marketsync/marketsync/plugins/alibaba1688/aop"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/memo"
)

// apiCategoryAttrs is com.alibaba.product:alibaba.category.attribute.get-1
// ("获取叶子类目属性"), the documented way to name a category's attributes:
// it takes one categoryID (a Long) and webSite ("1688" or "alibaba") and
// answers attributes[] with attrID, name and isSKUAttribute, plus success,
// errorCode and errorMsg. Its one documented error, 500_2 "数据准备中,请稍后
// 重试", asks to retry after 1 to 3 seconds. Sources: the API page
// (https://open.1688.com/api/api.htm?ns=com.alibaba.product&n=alibaba.category.attribute.get&v=1,
// mirrored at http://www.cnsecc.com/wdoc_29485387.html, with its example
// answer) and the Java SDK's AlibabaCategoryAttributeGetParam and
// AlibabacategoryAttributeInfo (cnitihc0/MyTest@4a88cf7e,
// src/main/java/com/alibaba/openapi/sdk/cbusdk/param/).
var apiCategoryAttrs = aop.API{Namespace: "com.alibaba.product", Name: "alibaba.category.attribute.get", Version: 1}

// codeDataPreparing is the category API's "data is being prepared, retry
// in 1 to 3 s".
const codeDataPreparing = "500_2"

// The category cache. A plugin cannot reach the agent's cache (it lives in
// the agent process, behind the plugin protocol), so the names are kept
// here, per configured plugin: bounded, so a catalogue spread over every
// 1688 category cannot grow the plugin without limit, and expiring, so a
// category whose attributes the platform renames is read again.
const (
	maxCachedCategories = 2048
	categoryTTL         = 12 * time.Hour
)

// categoryNames names the attributes of 1688 categories by id, one
// alibaba.category.attribute.get per category while its entry lives.
type categoryNames = memo.Cache[string, map[string]string]

func newCategoryNames(now func() time.Time, fetch func(ctx context.Context, category string) (map[string]string, error)) *categoryNames {
	return memo.New(maxCachedCategories, categoryTTL, now, fetch)
}

// categoryAttrsReply is alibaba.category.attribute.get's answer; only the
// fields used are declared.
type categoryAttrsReply struct {
	Success    *flexBool `json:"success"`
	ErrorCode  string    `json:"errorCode"`
	ErrorMsg   string    `json:"errorMsg"`
	Attributes []struct {
		AttrID decimal `json:"attrID"`
		Name   string  `json:"name"`
	} `json:"attributes"`
}

// fetchCategoryNames asks the platform for category's attributes. A
// refusal of the call (quota, credentials, the gateway) and the
// documented "retry later" are errors of the whole call; any other
// business refusal is INVALID, for the offer that needed the names.
func fetchCategoryNames(ctx context.Context, client *aop.Client, now func() time.Time, category string) (map[string]string, error) {
	body, err := client.Call(ctx, apiCategoryAttrs,
		aop.Param{Key: "categoryID", Value: category},
		aop.Param{Key: "webSite", Value: "1688"})
	if err != nil {
		return nil, err
	}
	return parseCategoryNames(category, body, now())
}

// parseCategoryNames reads an alibaba.category.attribute.get answer.
func parseCategoryNames(category string, body []byte, now time.Time) (map[string]string, error) {
	var r categoryAttrsReply
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, sdk.Unavailable(CodeBadResponse, fmt.Sprintf("category attribute reply for %s is not the documented JSON: %v", category, err))
	}
	failed := r.Success != nil && !bool(*r.Success)
	switch {
	case !failed && r.Success == nil && r.Attributes == nil:
		return nil, sdk.Unavailable(CodeBadResponse, fmt.Sprintf("category attribute reply for %s has neither attributes nor success", category))
	case failed && r.ErrorCode == codeDataPreparing:
		// The page advises retrying after 1 to 3 seconds.
		e := sdk.Unavailable(codeDataPreparing, "category "+category+": "+r.ErrorMsg)
		e.RetryAfter = 3 * time.Second
		return nil, e
	case failed:
		return nil, aop.Classify(200, cmp.Or(r.ErrorCode, CodeBusinessError), "category "+category+": "+r.ErrorMsg, nil, now)
	}
	out := make(map[string]string, len(r.Attributes))
	for _, a := range r.Attributes {
		if name := strings.TrimSpace(a.Name); a.AttrID != "" && name != "" {
			out[string(a.AttrID)] = name
		}
	}
	return out, nil
}
