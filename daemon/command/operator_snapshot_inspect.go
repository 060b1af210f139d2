package command

import (
	"strings"

	"github.com/marketsync/marketsync/daemon/store"
)

// OperatorSnapshotInspectCommand checks a snapshot file.
type OperatorSnapshotInspectCommand struct {
	Meta
}

func (c *OperatorSnapshotInspectCommand) Synopsis() string {
	return "Check a snapshot and print its header"
}

func (c *OperatorSnapshotInspectCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync operator snapshot inspect [-json] FILE

  Reads the snapshot through, checks it against the size and SHA-256 in its
  header, and prints the header: when and by which version it was saved,
  and how many records each namespace holds. Exits 1 when the file is
  damaged.

Options:

  -json
    Print the header as JSON.`)
}

func (c *OperatorSnapshotInspectCommand) Run(args []string) int {
	rest, err := c.parse(c.FlagSet("operator snapshot inspect", false), args, oneArg("give the snapshot FILE to inspect"))
	if err != nil {
		return c.exit(err)
	}
	h, err := store.InspectSnapshot(rest[0])
	if err != nil {
		return c.exit(err)
	}
	return c.printSnapshot(rest[0], h)
}
