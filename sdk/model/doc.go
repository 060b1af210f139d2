// Package model is marketsync's canonical data model: products, variants,
// money, errors, quota feedback and the request and response of every
// plugin operation, as versioned protobuf (model.proto, generated into
// model.pb.go). The catalogue stores it, the actors pass it, and the plugin
// protocol carries it; it depends on nothing else of marketsync.
//
// Beside the generated types it holds what every holder of the model
// needs once: validation of a product, typed errors, the operation table
// (operations.go) that drives both sides of the plugin protocol and the
// platform actor, and the versioned encoding of stored records
// (record.go).
package model
