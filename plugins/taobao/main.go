// Command marketsync-plugin-taobao is the first-party Taobao/Tmall
// collector plugin: it reads an authorising seller's listings through the
// Taobao Open Platform. See package collector.
package main

import (
	"github.com/marketsync/marketsync/plugins/taobao/collector"
	"github.com/marketsync/marketsync/sdk"
)

func main() {
	sdk.Serve(collector.New())
}
