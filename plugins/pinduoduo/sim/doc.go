// Package sim plays the Pinduoduo open platform gateway
// (https://gw-api.pinduoduo.com/api/router) for tests and demos: an
// http.Handler with a catalogue of one merchant's goods generated from a
// seed, answering pdd.goods.detail.get, pdd.goods.cat.template.get and
// pdd.goods.list.get the way the platform documents them, in the shapes
// real answers take (Server.Shapes): goods properties by id, carousels
// repeating a picture, no status, numbers as strings, Chinese escaped.
//
// Every request is checked against the documented contract before it is
// answered, and refused with the platform's own error_response codes:
// missing or malformed common parameters (10001), an unknown client_id
// (10016) or type (10017), a timestamp outside the ten-minute window
// (10001), a wrong sign recomputed from the bytes received (20004),
// unknown or empty parameters (10000), a missing, wrong or expired
// access_token (20032, 10019), business parameters missing (21002) or out
// of range (21001), such as more than one goods_id or a page_size over 100,
// and a body over the size limit (52004). A per-app rate limit answers
// 70031 (or 52101, Options.LimitCode) with a Retry-After header, or
// without one (Options.Throttle), deterministically under Options.Now;
// LimitCounts says what it took and refused.
//
// The signature is recomputed from the raw query and the raw form body
// (split on '&' and '=' and percent-decoded here), never from a structure
// re-encoded by net/http, so that an encoding bug in a client shows up as
// the 20004 the real gateway would give.
//
// The handler is wrapped in a faultinject.Injector (Server.Faults) so
// tests can add 429s, 5xx, resets, truncated bodies and error bodies.
// Expect computes, from the catalogue alone and with deliberately simple
// rules, what a correct client must make of each goods, so end-to-end
// tests can compare what comes back through the agent.
//
// Where the platform's documents are silent the simulator makes a choice
// and says so: which error an unknown goods_id gives (50001 with sub_msg
// 商品不存在), the Retry-After header on 70031 (PDD documents no retry
// hint; Options.Throttle leaves it off), which of 70031 and 52101 a rate
// limit gives (Options.LimitCode), and that only urlencoded bodies are accepted (the official PHP
// SDK posts multipart).
package sim
