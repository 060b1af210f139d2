// Command marketsync-plugin-shopify is the Shopify plugin: it publishes
// products, prices and stock to a Shopify store through the Admin GraphQL
// API and verifies the webhooks the store sends back, for the marketsync
// agent, which launches it and talks to it over go-plugin's gRPC protocol.
//
// The packages below it split the work: admin is the GraphQL client
// (authentication, the cost bucket, error mapping), store the plugin
// itself with the mapping of the canonical model to productSet and back,
// and sim a stateful simulated store that the tests, here end to end
// through a real plugin process, run against.
package main
