package main

import (
	"os"

	"github.com/marketsync/marketsync/daemon/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
