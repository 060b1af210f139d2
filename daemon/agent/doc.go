// Package agent wires the marketsync agent together and runs its
// lifecycle, in the manner of Nomad's command/agent: New runs one setup
// step after another — Badger state, the cluster node when the config has
// a cluster block (gossip, raft, locks, account ownership), the actor
// system, one plugin process
// and platform actor per platform block (the plugin's config block
// validated against the schema the plugin describes), the event emitter
// and the webhook receiver, the job manager, metrics, the HTTP API —
// each returning a wrapped error, and undoes the finished steps when a
// later one fails. Shutdown drains in the opposite
// order: the API stops taking requests, jobs checkpoint their batches in
// flight, platform actors finish their calls in flight and stop their
// plugins, Badger closes. It is safe to call twice.
//
// Reload puts a new configuration in force, as Nomad's agent does on
// SIGHUP. It compares each platform block with the one running
// (reload_diff.go), starts and checks the plugins of new and changed
// blocks before touching anything, then drains and stops removed and
// changed platforms and spawns the new actors under the old names, so jobs
// keep their platform's PID. Unchanged platforms keep their actor and
// plugin. Settings that need a restart keep their running values.
//
// Events and webhooks (events.go, webhooks.go): the job store's hook
// emits product.collected and job.finished through the event emitter in
// the transaction of the change, and the emitter's sinks follow a reload;
// platforms' webhook deliveries are verified by their plugin through the
// platform actor and handed to the sync engine once SetResyncer gives it.
//
// The agent is also the API's Backend: it answers requests from the
// actors' status, the job store and the catalogue. In a cluster
// (cluster.go, cluster_forward.go, cluster_jobs.go) only the owner of a
// platform account calls its platform: other agents forward its collect
// requests, catalogue reads and webhook deliveries to the owner's API,
// collect jobs and sync runs are written to the cluster's replicated job
// table before the node's own store, servers list jobs from it, and the
// next owner of an account resumes its unfinished jobs from that table.
package agent
