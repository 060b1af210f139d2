// Command marketsync-plugin-pinduoduo collects a merchant's goods from the
// Pinduoduo open platform (拼多多开放平台) for marketsync.
package main

import (
	"github.com/marketsync/marketsync/plugins/pinduoduo/pdd"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(pdd.New())
}
