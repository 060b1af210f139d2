// Package resolve merges three versions of a listing field by field: the
// base (what was last synced), the source (newly rendered) and the remote
// (the store's current one). A change on one side wins; a change on both
// sides goes to the field's strategy, and a manual strategy leaves the
// field alone and returns a Conflict while the rest of the product syncs.
package resolve
