package main

import (
	"github.com/marketsync/marketsync/plugins/pinduoduo/collector"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(collector.New())
}
