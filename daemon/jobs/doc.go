// Package jobs owns the "job/" namespace of the store: job records and
// their items. Store implements job.Store for the job actors and answers
// the HTTP API's queries (Get, List, Items).
//
// A job's record is at "job/r/<id>" and each item at "job/i/<id>/<index>",
// one key per item, so a checkpoint rewrites only the items it changes.
// Ids are ULIDs: records in key order are oldest first, and List walks
// them backwards for newest first. Values are the job.Job and job.Item
// protobuf messages.
//
// Commit writes a batch's item outcomes, its products (through package
// catalog) and the job record in one transaction, and moves the record's
// succeeded and failed counters by the items' state changes; those
// counters always match the items. Create writes the items of a large
// job in several transactions and the record last, behind a marker at
// "job/c/<id>", so a job is visible only once complete, and New removes
// what an interrupted Create left. AddListed adds a page of a listing
// job's items and its record, with the cursor of the next page, in one
// transaction. Keyed and Key keep the idempotency keys of collect
// requests at "job/k/<key>", expiring after KeyTTL.
package jobs
