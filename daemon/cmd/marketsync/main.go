// Command marketsync is the agent and its command-line client. main only
// hands the arguments to the command package.
package main

import (
	"fmt"
	"os"

	"github.com/marketsync/marketsync/daemon/version"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println(version.String())
		return
	}
	fmt.Fprintln(os.Stderr, "usage: marketsync version")
	os.Exit(1)
}
