// Package collector is the AliExpress plugin: it describes the platform's
// limits and config, turns the config into an IOP client, and serves the
// collect operations. FetchProducts calls aliexpress.ds.product.get once
// per id, in the target language and currency for the configured
// ship-to country; ListProducts pages through the authorized store's
// on-sale products (aliexpress.solution.product.list.get) behind an
// opaque cursor; ResolveURLs reads product ids out of AliExpress page URLs
// without calling anything.
//
// It is a thin layer: the protocol is package iop's and the mapping into
// the canonical model package listing's. It never retries or waits; a
// rate-limited, refused or failed call comes back as the SDK's typed
// error for the host to act on.
package collector
