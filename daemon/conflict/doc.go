// Package conflict owns the "conflict/" namespace: the queue of manual
// conflicts (a field changed both in the source and in the store, under a
// manual strategy) waiting for a person, and the history of every
// decision the sync engine took per source product, with both values and
// the rule that decided. Callers write in their own transaction, so a
// sync batch records its decisions with its bindings and snapshots.
package conflict
