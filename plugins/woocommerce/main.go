package main

import (
	"github.com/marketsync/marketsync/plugins/woocommerce/store"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(store.New())
}
