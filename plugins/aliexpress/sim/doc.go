// Package sim is a simulated AliExpress open platform gateway for tests
// and demos: an http.Handler (ready for httptest.NewServer) that answers
// the two business APIs the aliexpress plugin calls,
// aliexpress.ds.product.get and aliexpress.solution.product.list.get, on
// /sync, from a catalogue generated from a seed (thousands of products
// with Chinese source titles translated into English, Russian and
// Spanish, products with one or two option axes and without options,
// products without pictures or with protocol-relative picture URLs,
// off-shelf, deleted and not-shippable ones), in the shapes real answers
// take: lists as wrapper objects and as bare arrays, numbers bare and
// quoted, SKUs named by sku_attr, id or both, product_status_type, the SKU
// list or the pictures left out, a picture listed twice, gmt_modified in
// GMT+8, and every other answer with its non-ASCII text escaped as
// \uXXXX.
//
// It checks every request against the platform's contract before
// answering, from the bytes it received (the raw query and the raw form
// body): the common parameters, the app key, the timestamp window, the
// HMAC-SHA256 signature recomputed on its side, blank, unknown and missing
// parameters, the access token, the one-id-per-call and page-size caps,
// and flow control per app key with a clock the test controls. A wrong
// request gets the error envelope the platform sends, with the platform's
// code (IncompleteSignature, InvalidTimestamp, MissingParameter,
// InvalidParameter, IllegalAccessToken, ApiCallLimit with "this ban will
// last N seconds" — or a Retry-After header, or no hint, Options.Throttle
// — …); LimitCounts says what flow control took and refused.
// /rest/<path> requests are checked the same way, with the path in the
// signature, and then refused with InvalidApiPath: no system API is
// simulated.
//
// The gateway sits behind a faultinject.Injector (Server.Injector) for
// the failures that are not the platform's answers: 429s, 5xx, resets,
// slow and broken bodies. Server.Expect says, from the catalogue alone,
// what a plugin must make of each product, so that end-to-end tests can
// compare what comes back through the agent with an account that did not
// go through the plugin's mapping.
package sim
