// Package rpc is the plugin protocol's glue shared by both ends: the
// go-plugin handshake, the gRPC service built from the operation table in
// sdk/model, the encoding of typed errors as gRPC status details, and the
// server that sdk.Serve runs. Only this package and sdk/host import the
// generated protocol package; plugin authors see none of it.
//
// The server cancels the contexts of calls in flight when the host shuts
// the plugin down (go-plugin's controller Shutdown), so a plugin waiting
// on a slow platform stops at once instead of holding its process until
// the host kills it.
package rpc
