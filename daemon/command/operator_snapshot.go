package command

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/cli"
	"github.com/marketsync/marketsync/daemon/store"
)

// OperatorSnapshotCommand groups the snapshot commands.
type OperatorSnapshotCommand struct {
	Meta
}

func (c *OperatorSnapshotCommand) Synopsis() string {
	return "Save, inspect and restore snapshots of an agent's state"
}

func (c *OperatorSnapshotCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync operator snapshot <subcommand> [options] FILE

  A snapshot is every record of an agent's data_dir (jobs, catalogue,
  statistics) in one file, written with Badger's backup stream behind a
  header of counts per namespace and a SHA-256 of the stream.

  Save a snapshot of a stopped agent's data_dir:

      $ marketsync operator snapshot save -data-dir /var/lib/marketsync backup.snap

  Check a snapshot and print its header:

      $ marketsync operator snapshot inspect backup.snap

  Restore it into a stopped agent's data_dir (the one replaced is kept
  next to it):

      $ marketsync operator snapshot restore -data-dir /var/lib/marketsync backup.snap`)
}

func (c *OperatorSnapshotCommand) Run([]string) int { return cli.RunResultHelp }

// printSnapshot prints a snapshot's header.
func (c *Meta) printSnapshot(path string, h *store.SnapshotHeader) int {
	if c.json {
		return c.printJSON(h)
	}
	var counts []string
	var total int64
	for _, ns := range slices.Sorted(maps.Keys(h.Counts)) {
		counts = append(counts, fmt.Sprintf("%s %d", ns, h.Counts[ns]))
		total += h.Counts[ns]
	}
	c.Ui.Output(fields(
		"File", path,
		"Created", clock(h.CreatedAt),
		"Version", h.Version,
		"Records", fmt.Sprintf("%d (%s)", total, strings.Join(counts, ", ")),
		"Size", fmt.Sprintf("%d bytes", h.Size),
		"SHA-256", h.SHA256,
	))
	return 0
}
