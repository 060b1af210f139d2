// Package sim is a simulator of the Taobao Open Platform (TOP) gateway for
// tests and demos: an http.Handler to serve with net/http/httptest that
// answers taobao.items.seller.list.get and taobao.items.onsale.get from a
// catalogue generated from a seed.
//
// It checks every request against the documented contract before it
// answers, and refuses a wrong one with the error_response the real
// gateway gives: the signature is recomputed from the raw query and the
// raw form body as received, in all three sign methods; the timestamp must
// be within ten minutes of the simulator's clock; system parameters must be
// present and valid, API parameters known and non-empty, the app key,
// secret and session the configured ones, and a batch within its cap. A
// per-app token bucket (rate and burst changeable while serving, time from
// an injectable clock) answers error 7 with the "This ban will last for N
// more seconds" message when spent — or, for clients that must cope with a
// gateway that words it otherwise, with a Retry-After header or no hint at
// all (Options.Throttle) — and LimitCounts says what it took and refused.
//
// The catalogue holds on-sale items with and without SKUs (one SKU
// included), items without pictures, off-shelf (instock) items and deleted
// ones, with Chinese titles, HTML descriptions, the sellers' aliases for
// colours and sizes, prices written with zero, one or two decimals and
// protocol-relative picture URLs. The answers take the shapes real ones
// do: approve_status left out, numbers as strings, the sale properties
// repeated in props_name, a picture listed twice, and every other answer
// with its Chinese escaped as \uXXXX. IDs lists the catalogue and
// OnSaleIDs the listing in its order. Expect says, from the catalogue's
// own data and without any of the plugin's mapping code, what a canonical
// product read back through the plugin and stored by the host must
// contain, and Expectation.Check compares a product with it, so that an
// end-to-end test can check the whole path.
// Stats counts requests by API and refusals by error code. Retitle and
// Reprice are the seller editing items while the gateway serves: the
// answers and Expect then carry the new title or prices, with modified
// set to the gateway's clock.
//
// The handler is wrapped in sdk/faultinject; Faults returns the injector
// so tests can add 5xx answers, resets, truncated bodies and platform
// errors inside 200 bodies.
package sim
