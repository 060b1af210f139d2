// Command marketsync-plugin-alibaba1688 is the marketsync plugin for
// 1688.com, Alibaba's domestic wholesale marketplace, through its open
// platform gateway (gw.open.1688.com): offer details with SKUs, a shop's
// offers page by page, and offer URLs resolved to ids.
//
// It serves package collector's Plugin through sdk.Serve. Package aop is
// the gateway protocol (signing, request layout, error codes), collector
// the plugin and its mapping, and sim the simulated gateway its tests,
// here end to end through the built binary, run against.
package main
