package command

import (
	"log/slog"
	"os"
	"strings"

	"github.com/marketsync/marketsync/daemon/store"
)

// OperatorSnapshotRestoreCommand replaces a data directory with a
// snapshot.
type OperatorSnapshotRestoreCommand struct {
	Meta
}

func (c *OperatorSnapshotRestoreCommand) Synopsis() string {
	return "Restore a snapshot into a stopped agent's data_dir"
}

func (c *OperatorSnapshotRestoreCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync operator snapshot restore [-data-dir DIR | -config PATH] FILE

  Replaces the agent's data_dir with the snapshot in FILE. The snapshot is
  checked first; it is loaded into a new directory next to data_dir and its
  counts compared with its header; only then is data_dir moved aside (to
  <data_dir>.replaced-<time>, kept until you delete it) and the new one put
  in its place. Refuses while the agent runs: stop it first.

Options:

` + dataDirOptions + `

  -json
    Print the restored snapshot's header as JSON.`)
}

func (c *OperatorSnapshotRestoreCommand) Run(args []string) int {
	var d dataDirFlags
	f := c.FlagSet("operator snapshot restore", false)
	d.register(f)
	rest, err := c.parse(f, args, oneArg("give the snapshot FILE to restore"))
	if err != nil {
		return c.exit(err)
	}
	dir, err := d.resolve()
	if err != nil {
		return c.exit(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := store.RestoreSnapshot(rest[0], dir, log)
	if err != nil {
		return c.exit(storeError(err))
	}
	if !c.json {
		c.Ui.Output("Restored into " + dir + ":")
	}
	return c.printSnapshot(rest[0], h)
}
