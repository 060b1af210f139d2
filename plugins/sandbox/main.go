// Command marketsync-plugin-sandbox is a simulated marketplace and store in
// one plugin process, so every feature of marketsync can be shown and
// tested with no internet and no credentials.
package main

import (
	"github.com/marketsync/marketsync/plugins/sandbox/market"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(market.New())
}
