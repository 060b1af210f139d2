// Package collector is the Taobao/Tmall collector plugin: it reads a
// seller's listings through the Taobao Open Platform and maps them into
// marketsync's canonical products.
//
// FetchProducts reads up to 20 items per call with
// taobao.items.seller.list.get; ListProducts pages through the seller's
// on-sale items with taobao.items.onsale.get behind an opaque, resumable
// cursor; ResolveURLs recognises the desktop and mobile item URLs of
// Taobao and Tmall without calling the platform. The mapping keeps prices
// in integer fen parsed from the platform's decimal strings, keeps the
// description's HTML, turns SKU property strings into named options under
// the seller's aliases, and reports an item that is off-shelf, deleted or
// absent as a per-item NOT_FOUND.
//
// Signing, the request layout and error codes live in package top; this
// package decides which APIs to call and what their answers mean.
package collector
