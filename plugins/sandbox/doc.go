// Command marketsync-plugin-sandbox is a simulated marketplace and store in
// one plugin process, so every feature of marketsync can be shown and
// tested with no internet and no credentials.
//
// It serves package market's Market through sdk.Serve. There is no
// platform API behind it, so no client package: the catalogue is
// generated from a seed (sdk/simkit's Draw), the rate limit is a
// simkit.Bucket on the plugin's own clock, and its faults (latency,
// errors, bans, crashes, hangs, malformed products) are config knobs.
package main
