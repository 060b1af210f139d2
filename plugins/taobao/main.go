package main

import (
	"github.com/marketsync/marketsync/plugins/taobao/collector"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(collector.New())
}
