package main

import (
	"github.com/marketsync/marketsync/plugins/sandbox/market"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(market.New())
}
