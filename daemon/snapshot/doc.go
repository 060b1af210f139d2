// Package snapshot owns the "snapshot/" namespace of the store: for each
// sync pipeline and source product, the listing as it was last synced, its
// content hash and the store's updated_at then. The hash sits under a key
// of its own, so Changed, the check that lets an unchanged product cost no
// write, reads 32 bytes and never the listing.
package snapshot
