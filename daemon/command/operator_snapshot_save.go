package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/version"
)

// OperatorSnapshotSaveCommand writes a snapshot of a data directory.
type OperatorSnapshotSaveCommand struct {
	Meta
}

func (c *OperatorSnapshotSaveCommand) Synopsis() string {
	return "Save a snapshot of an agent's state"
}

func (c *OperatorSnapshotSaveCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync operator snapshot save [-data-dir DIR | -config PATH] FILE

  Writes every record of the agent's state to FILE, atomically (a
  temporary file renamed when complete and checked).

  Without -data-dir or -config it asks the running agent (GET
  /v1/operator/snapshot, which needs an operator token): the agent keeps
  serving while writes wait for the snapshot, about a second per 100,000
  products. With them it reads a stopped agent's data_dir, which is
  checked first as the agent checks it at start; a damaged one is not
  saved.

Options:

` + dataDirOptions + `

  -address ADDR, -token TOKEN
    The running agent to ask, as for every command that talks to it.

  -json
    Print the snapshot's header as JSON.`)
}

func (c *OperatorSnapshotSaveCommand) Run(args []string) int {
	var d dataDirFlags
	f := c.FlagSet("operator snapshot save", true)
	d.register(f)
	rest, err := c.parse(f, args, oneArg("give the snapshot FILE to write"))
	if err != nil {
		return c.exit(err)
	}
	var h *store.SnapshotHeader
	if d.dir == "" && len(d.paths) == 0 {
		h, err = c.download(rest[0])
	} else {
		h, err = saveStopped(d, rest[0])
	}
	if err != nil {
		return c.exit(err)
	}
	return c.printSnapshot(rest[0], h)
}

func saveStopped(d dataDirFlags, path string) (*store.SnapshotHeader, error) {
	dir, err := d.resolve()
	if err != nil {
		return nil, err
	}
	db, err := store.Open(store.Options{Dir: dir, ReadOnly: true})
	if err != nil {
		return nil, storeError(err)
	}
	h, err := db.SaveSnapshot(path, version.Version)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return h, err
}

// download takes a snapshot from the running agent into a temporary file
// beside path, checks it, and only then renames it into place: a download
// cut short never replaces a good snapshot.
func (c *OperatorSnapshotSaveCommand) download(path string) (*store.SnapshotHeader, error) {
	cl, err := c.Client()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = cl.Snapshot(context.Background(), tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	h, err := store.InspectSnapshot(tmp.Name())
	if err != nil {
		return nil, err
	}
	return h, os.Rename(tmp.Name(), path)
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
