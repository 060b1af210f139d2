// Command marketsync-plugin-feed collects products from a supplier's
// product feed: a CSV or JSON document served over HTTP(S) at a configured
// URL, the way many small suppliers publish their stock and prices.
//
// It is an example of a third-party plugin: it is written against the
// marketsync SDK alone (sdk, sdk/httpclient and, in its tests,
// sdk/plugintest), as an outside author would write one.
//
// The feed is downloaded once and kept for a short time (cache_ttl), then
// revalidated with If-None-Match, so a batch of fetches and a walk through
// the listing cost one download. Rows that share a product id are one
// product; each row is a variant. A malformed row fails only its product,
// as a per-item INVALID error naming the row.
package main

import "github.com/marketsync/marketsync/sdk"

func main() {
	sdk.Serve(New())
}
