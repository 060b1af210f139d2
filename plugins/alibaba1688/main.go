package main

import (
	"github.com/marketsync/marketsync/plugins/alibaba1688/collector"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(collector.New())
}
