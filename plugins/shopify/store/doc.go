// Package store is the shopify plugin: a publisher (sdk.Publisher) that
// keeps one Shopify store in step with the catalogue through the Admin
// GraphQL API, and a webhook verifier (sdk.WebhookVerifier) for the
// deliveries the store pushes back.
//
// Products are written whole with productSet, keyed by a custom ID (an
// id-typed metafield holding "<source>:<id>") so that a retried create
// updates the product it made instead of making another; productSet
// deletes the variants, media and metafields an input leaves out, so every
// write carries the full variant list. Batches above a threshold go
// through one bulk mutation over a staged JSONL upload. Prices go through
// productVariantsBulkUpdate and stock through inventorySetQuantities with
// changeFromQuantity (compare-and-swap against the host's expected stock,
// else the stock just read) and an @idempotent key per item. Each call
// reports the cost bucket as sdk.Quota, with the cost of all its
// documents.
package store
