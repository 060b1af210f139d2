package main

import (
	"github.com/marketsync/marketsync/plugins/shopify/store"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(store.New())
}
