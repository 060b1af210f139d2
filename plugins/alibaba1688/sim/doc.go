// Package sim is a simulated 1688 open platform gateway for tests and
// demos: an http.Handler that serves the three APIs the alibaba1688 plugin
// calls (com.alibaba.product:alibaba.cross.productInfo-1,
// com.alibaba.product:alibaba.category.attribute.get-1 and
// com.alibaba.fenxiao.crossborder:product.search.querySellerOfferList-1)
// over a catalogue generated from a seed — thousands of offers in several
// shops, with Chinese titles, multi-SKU and SKU-less offers, offers without
// images, image paths in all three forms the platform uses, prices with
// zero, one and two decimals, offers off-shelf, deleted, or outside the
// app's listing relation; and replies in the shapes real answers take
// (Server.Shapes): SKU properties named by id alone, no status, numbers as
// strings, Chinese escaped, repeated images, SKUs priced in tiers.
//
// It checks every request as the gateway does and refuses a wrong one
// with the gateway's error body (error_code, error_message, request_id)
// and status: the path and app key, the parameters exactly as sent (raw
// query and raw form body, never re-encoded), the _aop_signature
// recomputed over them, the _aop_timestamp window, the access_token,
// unknown, empty, duplicate and missing parameters, the productId that
// must be one offer, the shop search's page size. It enforces the app's
// call-frequency quota with gw.QosAppFrequencyLimit (rate and burst
// settable at any time, on an injectable clock: a simkit.Gateway), and pages the shop
// search as the platform does (beginPage/pageSize, totalPage).
//
// Handler wraps the gateway in sdk/faultinject; Injector exposes it, and
// Serve runs it on a loopback port for the length of a test. Expect says
// what the canonical product of an offer must contain, worked out from the
// simulator's own data (never from a reply or the plugin's mapper), and
// Expectation.Verify checks a fetched product against it, so an
// end-to-end test can compare what comes back through the plugin process
// and the host. Credentials, IDs, IDsWith, ShopID, ShopOfferIDs,
// SetRateLimit, Stats and PluginConfig give tests and demos the rest of
// what they need; a simkit.FakeClock's Now as Options.Now moves time.
//
// Where the real gateway's behaviour is not documented, the simulator
// chooses and says so: the timestamp window (10 minutes by default), the
// codes gw.ParamInvalid and gw.TimestampInvalid, the Retry-After header on
// frequency refusals (Throttle ThrottleNoHint, or NoRetryAfter, turns it
// off; LimitCounts says what the quota took and refused), and the "400" code of
// the shop search's own validation errors.
package sim
