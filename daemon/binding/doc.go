// Package binding owns the "binding/" namespace of the store: which remote
// product (and which remote variant per SKU) on a target platform a source
// product was synced to. Bindings are looked up both ways, from the source
// product and from a remote product or variant id, and every write takes
// the caller's *store.Txn so a binding commits with the batch that made it.
package binding
