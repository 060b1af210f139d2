package main

import (
	"github.com/marketsync/marketsync/plugins/pinduoduo/pdd"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(pdd.New())
}
