// Command marketsync-plugin-alibaba1688 is the marketsync plugin for
// 1688.com, Alibaba's domestic wholesale marketplace, through its open
// platform gateway (gw.open.1688.com): offer details with SKUs, a shop's
// offers page by page, and offer URLs resolved to ids.
package main

import (
	"github.com/marketsync/marketsync/plugins/alibaba1688/collector"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(collector.New())
}
