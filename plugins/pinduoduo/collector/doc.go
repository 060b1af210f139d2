// Package collector is the Pinduoduo plugin: the mapping of
// pdd.goods.detail.get into the canonical product, the resolution of goods
// page URLs to goods ids, and Plugin, which calls the gateway through
// package pdd behind sdk.Collector and sdk.URLResolver.
//
// It reads the goods of one merchant, the one whose access_token it is
// given: FetchProducts calls pdd.goods.detail.get once per id (the API
// takes a single goods_id), ListProducts pages through pdd.goods.list.get.
// Prices arrive as integers in fen and become CNY minor units unchanged;
// titles are zh-CN; goods off the shelf or deleted are per-item NOT_FOUND.
// Goods properties, given by id, become attributes named by the category
// template (pdd.goods.cat.template.get, cached per category in names.go).
//
// Like every plugin it reports and never retries or sleeps: rate limits
// come back as RATE_LIMITED with the platform's code and any Retry-After,
// and the host decides.
package collector
