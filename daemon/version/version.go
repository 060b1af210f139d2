package version

import (
	"fmt"
	"runtime"

	"github.com/marketsync/marketsync/sdk/host"
)

// Version is overwritten at link time: -X .../daemon/version.Version=v1.2.3.
var Version = "dev"

// String is what `marketsync version` prints.
func String() string {
	return fmt.Sprintf("marketsync %s (plugin protocol %d, %s %s/%s)", Version, host.ProtocolVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
