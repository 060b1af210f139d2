// Package api is the agent's HTTP API server. It owns the routes, the
// request checks, token authentication and the one place that turns a
// handler's result or error into JSON; the agent supplies a Backend (its
// actors and stores, converted to the wire types of package client) and
// the listener. Of this module it imports only package client; a test
// checks.
//
// Handlers have Nomad's shape: they return (any, error) and wrap writes the
// answer. A handler or the Backend reports a client's mistake with an
// *Error (NotFound, BadRequest, Conflict, Unavailable); any other error is a
// 500 with code "internal" whose cause goes to the log only. Every error on
// the wire is {"error":{"code":"...","message":"..."}}, codes as listed in
// package client.
//
// Without a token, the server answers only requests whose Host is
// localhost, 127.0.0.0/8 or [::1] (any port), and 403 forbidden_host to
// others: a web page rebound to 127.0.0.1 by DNS still sends its own name,
// so it cannot drive a tokenless agent from a browser.
//
// Config.Token may do anything; Config.Tokens are limited to a Scope
// (read: GET routes but the snapshot; write: also collect and cancel;
// operator: anything).
// A token short of a route's scope is a 403 insufficient_scope naming the
// scope needed.
//
// Routes (all but health need a token when one is set):
//
//	GET  /v1/health              status, version, uptime
//	GET  /v1/platforms           []client.Platform
//	POST /v1/collect             {"platform":"sandbox","ids":["100001", "<product page URL>"]} → 202 client.Job
//	                             {"platform":"sandbox","scope":"shop:1"} collects a whole listing;
//	                             an Idempotency-Key header answers a repeat with the job it started
//	GET  /v1/jobs                ?state=&platform=&limit= → []client.Job, newest first
//	GET  /v1/jobs/{id}           client.Job; ?index=&wait= blocks until it changes
//	POST /v1/jobs/{id}/cancel    client.Job, cancelled (409 job_finished if over)
//	GET  /v1/jobs/{id}/items     ?state=&after=&limit= → client.ItemPage
//	GET  /v1/products            ?platform=&cursor=&limit= → client.ProductPage, by platform then id
//	GET  /v1/products/{id}       platform:id, a bare id or a product page URL (escaped) → client.Product
//	GET  /v1/stats               ?platform=&operation=&range=1h&series= → client.Stats (Config.Stats)
//	GET  /v1/cache/stats         client.CacheStats (Config.Cache)
//	POST /v1/cache/purge         client.CachePurgeRequest → client.CachePurgeResult (Config.Cache)
//	GET  /v1/sync                []client.SyncPipeline (Config.Sync, as the routes below)
//	POST /v1/sync/{name}/run     client.SyncRunRequest → client.Job (the running one if any)
//	GET  /v1/bindings            ?platform=&id= → []client.Binding
//	GET  /v1/history             ?platform=&id= → []client.Decision, oldest first
//	GET  /v1/conflicts           ?state=open|resolved → []client.Conflict
//	GET  /v1/conflicts/{id}      client.Conflict
//	POST /v1/conflicts/{id}/resolve  client.ConflictResolution → client.Conflict
//	GET  /v1/operator/snapshot   the agent's state as a snapshot file, operator scope (Config.Snapshots)
//	GET  /v1/alerts              client.Alerts: alerts and receivers (Config.Alerts)
//	GET  /v1/alerts/history      ?limit= → []client.AlertEvent, newest first (Config.Alerts)
//	GET  /v1/silences            []client.Silence (Config.Alerts)
//	POST /v1/silences            client.SilenceRequest → 201 client.Silence (Config.Alerts)
//	POST /v1/silences/{id}/expire    client.Silence (Config.Alerts)
//	POST /v1/receivers/{name}/test   client.ReceiverTest: the platform's answer (Config.Alerts)
//	GET  /metrics                Config.Metrics
//	POST /v1/webhooks/{plugin}/{name}  a platform's delivery → client.WebhookAck (Config.Webhooks; no token)
//	GET  /v1/events/sinks        []client.EventSink (Config.Events)
//
// The webhook route is the one a platform posts to, so it takes neither
// the token nor the loopback Host rule: a platform can send neither. It
// accepts only what the platform's plugin verifies (a bad signature is a
// 401 bad_signature and records nothing), reads at most
// WebhookMaxBodyBytes, and gives the receiver WebhookDeadline to answer.
//
// A job id in a path is checked before the Backend sees it: one that
// unescapes to hold a slash (/v1/jobs/a%2fb), whitespace or a control
// character is a 400 invalid_id.
//
// A list's limit is from 1 to MaxListLimit; 0 is refused (invalid_query)
// rather than read as "no limit": page through a long list instead. A
// platform filter that names no platform block is unknown_platform, as on
// every route.
//
// GET /v1/jobs/{id} with index (the Index of a job read before) and wait
// is a blocking query, as Consul's and Nomad's are: the answer comes when
// the job has changed, or after wait (at most MaxWait). The index is above
// 2^53, where JavaScript and jq round numbers, so a job carries it as a
// string of digits, and the answer in the X-Marketsync-Index header too
// (Consul's X-Consul-Index); ?index= takes the digits, bare or quoted.
//
// A collect request is checked once, each rule in one place:
//
//   - here, its shape: a JSON object of the documented fields, a platform
//     name, 1 to MaxCollectIDs entries or a scope (not both), none empty
//     or holding whitespace or control characters (named in the error, by
//     position), none written twice (rejected rather than dropped: a job's
//     items keep the positions of the request, so the caller can map
//     results back to its own list);
//   - by the job manager (package actors/job, SubmitCollect), what it
//     means: the platform is configured and collects, and a request of
//     URLs only goes to a plugin that resolves URLs. What only the plugin
//     can tell — which product a URL names — the job finds out in its
//     first step, failing a bad URL as an item.
//
// The agent's Backend passes the request on and maps the manager's
// refusals to errors; it checks nothing itself.
package api
