// Command marketsync is the agent and its command-line client. main only
// hands the arguments to the command package.
package main

import (
	"os"

	"github.com/marketsync/marketsync/daemon/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
