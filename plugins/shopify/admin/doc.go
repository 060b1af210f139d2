// Package admin is the client of the Shopify Admin GraphQL API that the
// shopify plugin speaks: one POST per document to
// https://<shop>.myshopify.com/admin/api/<APIVersion>/graphql.json with the
// app's token in X-Shopify-Access-Token, the calculated query cost read
// from extensions.cost, and every failure turned into an *sdk.Error — a
// THROTTLED answer into RATE_LIMITED with the wait the bucket needs to hold
// the requested cost, 401/403 into AUTH naming the setting to fix, 5xx
// into UNAVAILABLE. It never retries and never sleeps.
package admin
