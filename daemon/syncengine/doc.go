// Package syncengine runs sync pipelines: for each sync block it plans a job
// of the source products whose rendered listing changed since the last
// sync (content hash against the snapshot), then, batch by batch, binds
// them to the store's products (rebinding by SKU when a binding is lost),
// reads what the store holds now (through the remote_product cache, but
// afresh for a product about to be written), resolves the three versions
// field by field, writes only what changed through the target's platform actor in
// batches at the plugin's cap (UpsertProducts for creates and full
// updates, SetPrices for price-only and SetInventory with compare-and-set
// for stock-only changes) and records the items, bindings, snapshots,
// decisions and conflicts of the batch in one Badger transaction. A job
// is resumed from its pending items after a restart; a store write whose
// record was lost is found again by SKU or idempotency key, never
// repeated as a second product.
//
// Runs start on demand (Run), on the pipeline's schedule (cron or every)
// and for targeted re-syncs (Changed, for webhooks), which a max-wait
// window gathers into one run. A run is a goroutine of the engine, one
// per pipeline at a time, calling the target through its platform actor;
// Stop leaves unfinished jobs to resume at the next Start, Cancel ends one.
//
// In a cluster (Options.Fence) a pipeline runs only on the node that owns
// its target store: every write carries the fencing token of that lease,
// a write without one is not made (its items stay pending, "not the owner
// of platform X"), and Reconcile pauses the runs of a target the node
// lost and resumes its jobs when the node owns it again. There the job
// store (Options.Jobs) replicates each run to the cluster's job table and
// refuses a checkpoint, as ErrNotOwner, once another node claimed the
// run, which pauses it; the node that takes a run over holds its pipeline
// (Hold) while it rebuilds the job and collects its unsettled source
// products, then launches it from its pending items under the same id.
// Start and Reconcile resume only the jobs the store lists as
// unfinished, which in a cluster leaves sync runs to that takeover.
package syncengine
