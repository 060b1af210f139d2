// Command marketsync-plugin-woocommerce is the WooCommerce plugin: it
// publishes the catalogue to a WooCommerce store through the REST API v3
// (products and variations, stock, prices) and verifies the store's
// signed product webhooks, for the marketsync agent, which launches it
// and talks to it over go-plugin's gRPC protocol.
//
// The packages below it split the work: wcapi is the REST client
// (Basic auth over HTTPS, OAuth 1.0a signatures over plain HTTP, batch
// requests, the error object), store the plugin itself with the mapping
// between the canonical model and simple or variable products, and sim a
// stateful simulated store that the tests, here end to end through a
// real plugin process, run against.
package main
