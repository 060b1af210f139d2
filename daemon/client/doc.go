// Package client is the Go client of the agent's HTTP API and the public
// contract of that API: the JSON types it serves (Platform, Job, JobItem,
// Product, ProductPage, Health) and the error codes it answers with are defined here and
// used by the server in daemon/api as well, so the two cannot drift apart.
//
// A Client is built from a Config; resources hang off it as handles, as in
// Nomad's api package:
//
//	c, err := client.New(client.DefaultConfig())
//	job, err := c.Jobs().Collect(ctx, client.CollectRequest{Platform: "sandbox", IDs: ids})
//	job, err = c.Jobs().Watch(ctx, job.ID, client.WaitOptions{Index: job.Index, Wait: time.Minute})
//	err = c.Products().Each(ctx, client.ProductListOptions{Platform: "sandbox"}, func(p client.Product) error { ... })
//
// Every failure the API reports comes back as an *APIError carrying the HTTP
// status and the API's error code and message.
package client
