// Package sim is a simulated WooCommerce store for tests and demos: an
// http.Handler (ready for httptest.NewServer or NewTLSServer) that
// answers the wc/v3 routes the woocommerce plugin calls — products,
// products/batch, products/{id}/variations and
// products/{id}/variations/batch — from state it keeps: products
// (simple and variable, with attributes), variations, SKUs unique
// across both, stock and prices.
//
// It follows WooCommerce's own code rather than its documentation where
// they differ: authentication as WC_REST_Authentication does it (Basic
// auth, or the consumer_key/consumer_secret query parameters, only on
// TLS; otherwise OAuth 1.0a one-legged signatures with HMAC-SHA1 or
// HMAC-SHA256, recomputed from the bytes received, a 15-minute timestamp
// window and nonces that may not repeat; the key's read/write
// permissions), the batch cap of check_batch_limit (more than 100 items
// is a 413 woocommerce_rest_request_entity_too_large), batch_items'
// answer with one entry per item and the refused ones as {"id",
// "error"} inside a 200, the per-item codes of WC_REST_CRUD_Controller
// and WC_Product::set_sku (product_invalid_sku,
// woocommerce_rest_product_invalid_id, woocommerce_rest_product_exists,
// woocommerce_rest_product_variation_invalid_parent), WordPress's
// collection parameters (per_page 1 to 100) and headers (X-WP-Total,
// X-WP-TotalPages), and webhooks as WC_Webhook::deliver sends them: the
// product as the API shows it, signed with the base64 HMAC-SHA256 of the
// body under the webhook's secret, with the X-WC-Webhook-* headers.
//
// Changes made "as the merchant" (Server.MerchantUpdate, or POST
// /__sim/merchant/products/{id}, a test-only route outside the API that
// needs no credentials) fire webhooks like changes made through the API;
// Server.RaceStock lands a stock change just before the next batch update
// of a product or variation, between a client's read and its write.
// Products and variations keep meta_data as WC_Data does.
//
// The store sits behind a simkit.Gateway: a call-rate limit answered
// with 429 and Retry-After, as a host in front of WordPress answers, and
// the faultinject.Injector for 5xx, resets, slow and broken answers.
// Stats counts what reached the store, by route, so tests can count
// batch calls.
package sim
