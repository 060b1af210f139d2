// Package collector is the AliExpress plugin: it describes the platform's
// limits and config, turns the config into an IOP client, serves the
// collect operations and maps the answers into the canonical model.
// FetchProducts calls aliexpress.ds.product.get once per id, in the target
// language and currency for the configured ship-to country; ListProducts
// pages through the authorized store's on-sale products
// (aliexpress.solution.product.list.get) behind an opaque cursor;
// ResolveURLs reads product ids out of AliExpress page URLs without
// calling anything.
//
// The protocol (signing, the gateway's errors) is package iop's. This
// package owns the wire types of the two APIs' answers (wire.go, with the
// TOP-style lists the /sync gateway writes, list.go), the rules that make
// a canonical product of them (mapping.go), and the parsing of the
// platform's decimal prices into integer minor units (money.go). The
// rules, in one place: the title and texts are tagged with the language
// the API translated them into; each SKU becomes a variant keyed by
// sku_attr (id, then sku_id, in older answers) whose options are its
// properties, named as the buyer sees them (the seller's own value name,
// the standard one kept behind it); a product without options becomes one
// variant named by the product id; gmt_modified, in the gateway's GMT+8,
// is the update time; prices are read digit by digit in the
// currency the SKU states, refusing decimals the currency cannot hold;
// picture URLs are made absolute https; an off-shelf, deleted or
// not-shippable product is a per-item NOT_FOUND and a product the model
// cannot hold a per-item INVALID, never a failure of the batch.
//
// It never retries or waits; a rate-limited, refused or failed call comes
// back as the SDK's typed error for the host to act on.
package collector
