package command

import (
	"errors"
	"fmt"
	"strings"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/version"
)

// OperatorSnapshotSaveCommand writes a snapshot of a data directory.
type OperatorSnapshotSaveCommand struct {
	Meta
}

func (c *OperatorSnapshotSaveCommand) Synopsis() string {
	return "Save a snapshot of a stopped agent's state"
}

func (c *OperatorSnapshotSaveCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync operator snapshot save [-data-dir DIR | -config PATH] FILE

  Writes every record of the agent's data_dir to FILE, atomically (a
  temporary file renamed when complete). The agent must be stopped: Badger
  lets one process open the directory. The data_dir is checked first, as
  the agent checks it at start; a damaged one is not saved.

Options:

` + dataDirOptions + `

  -json
    Print the snapshot's header as JSON.`)
}

func (c *OperatorSnapshotSaveCommand) Run(args []string) int {
	var d dataDirFlags
	f := c.FlagSet("operator snapshot save", false)
	d.register(f)
	rest, err := c.parse(f, args, oneArg("give the snapshot FILE to write"))
	if err != nil {
		return c.exit(err)
	}
	dir, err := d.resolve()
	if err != nil {
		return c.exit(err)
	}
	db, err := store.Open(store.Options{Dir: dir, ReadOnly: true})
	if err != nil {
		return c.exit(storeError(err))
	}
	h, err := db.SaveSnapshot(rest[0], version.Version)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return c.exit(err)
	}
	return c.printSnapshot(rest[0], h)
}

// storeError explains what an operator does about a store error.
func storeError(err error) error {
	switch {
	case errors.Is(err, store.ErrLocked):
		return fmt.Errorf("%w: stop the agent first", err)
	case errors.Is(err, store.ErrDamaged):
		return fmt.Errorf("%w\nRestore the last good snapshot with marketsync operator snapshot restore", err)
	}
	return err
}
