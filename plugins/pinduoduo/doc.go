// Command marketsync-plugin-pinduoduo is the Pinduoduo (拼多多开放平台)
// collector of marketsync as a plugin process: it serves package collector's
// Plugin through sdk.Serve. The agent launches it; run by hand it only
// waits for a host's handshake.
//
// Its tests build this binary once and drive it through sdk/host against
// the simulator in package sim, so they cover the real process, the gRPC
// protocol and the HTTP traffic to a gateway that checks every request.
package main
