// Package catalog owns the "catalog/" namespace of the store: the products
// collected from source platforms. A product is keyed by the name of the
// platform block it was collected through (e.g. "sandbox") and its
// platform-scoped id, "catalog/<platform>/<id>"; putting it again replaces
// it, so replaying a job after a crash never duplicates a product.
//
// The value is a model.ProductRecord (sdk/model): the product, when it was
// collected and the schema version it was written with; records of older
// versions are migrated as they are read. Products of a few KB end up in
// Badger's value log.
//
// Every function takes the caller's *store.Txn, so a write to the catalogue
// commits together with whatever else the caller writes.
package catalog
