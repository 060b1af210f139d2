// Package sim is a stateful simulator of one Shopify store's Admin GraphQL
// API, as the plugin uses it: products with options, variants, media and
// metafields (productSet, with its list semantics), prices
// (productVariantsBulkUpdate), inventory at one location
// (inventorySetQuantities with changeFromQuantity compare-and-swap and
// @idempotent keys), reads (nodes, products, productVariants), staged
// uploads and bulk mutations (stagedUploadsCreate, bulkOperationRunMutation,
// node polling, the JSONL result file), the calculated query cost leaky
// bucket (THROTTLED, MAX_COST_EXCEEDED, extensions.cost), and signed
// webhooks for every change, including the merchant's own changes made
// through a test-only admin endpoint.
//
// It understands documents shaped as the plugin writes them: root fields,
// optionally aliased, with their arguments given as variables or literals;
// each root field is answered with a fixed selection (the fields the plugin
// reads), not the one asked. Time comes from a simkit clock and faults from
// the shared sdk/faultinject layer, so tests never sleep.
package sim
