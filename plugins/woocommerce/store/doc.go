// Package store is the woocommerce plugin: it publishes the canonical
// catalogue to a WooCommerce store through the REST API v3 (package
// wcapi) and verifies the store's signed webhooks.
//
// A product with one variant and no options is a simple product, whose
// SKU, price and stock are the product's own; any other is a variable
// product with one attribute per option axis (used for variations) and
// one variation per variant. Products are written with products/batch,
// at most 100 objects a request (woocommerce_rest_batch_items_limit),
// and the variations of a variable product with
// products/{id}/variations/batch, one call per product, since the API
// names the parent in the route. Stock is manage_stock and
// stock_quantity; prices are regular_price, or sale_price under a
// compare-at price written as regular_price, in the store's currency,
// written from minor units by their digits; the status is the post
// status (publish, draft).
//
// WooCommerce has no idempotency keys. A create is made safe to repeat
// by the SKU: before creating, the plugin looks the batch's SKUs up with
// one GET products?sku=a,b,… and turns a create whose product exists
// into an update of it. A retried create after a lost answer therefore
// finds the product the first attempt made; the store's own SKU
// uniqueness refuses a second copy even when two creates race.
//
// The plugin keeps, per configured store, what it learnt of each
// product's shape (simple or variable, variation ids by SKU) so that a
// price update of a product it wrote or read needs no read first; losing
// it costs one read per 100 products. The merchant may change variations
// meanwhile, so an upsert of an existing product always reads its
// variations afresh, a price item that fails on a remembered shape is
// resolved again from a fresh read and sent once more, and a verified
// webhook drops the product's shape.
//
// Stock writes always read their targets first: WooCommerce has neither
// compare-and-set nor idempotency keys, so an item whose stock is not
// the one the host expects fails as CONFLICT before any write, and an
// item whose target holds its idempotency key in the custom field the
// plugin writes with each stock (marketsync_stock_write) is already done.
// A change landing between that read and the write is overwritten.
package store
