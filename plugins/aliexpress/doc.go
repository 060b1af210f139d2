// Command marketsync-plugin-aliexpress is the AliExpress plugin: it
// collects product listings from the AliExpress open platform (the IOP
// gateway at api-sg.aliexpress.com) for the marketsync agent, which
// launches it and talks to it over go-plugin's gRPC protocol.
//
// The packages below it split the work: iop is the gateway protocol
// (signing, common parameters, errors), collector the plugin itself with
// the mapping of the platform's answers into the canonical model, and sim
// a simulated gateway that the tests, here end to end through a real
// plugin process, run against.
package main
