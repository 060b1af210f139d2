package command

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/cli"

	"github.com/marketsync/marketsync/daemon/client"
)

// LockCommand groups the lock subcommands.
type LockCommand struct {
	Meta
}

func (c *LockCommand) Synopsis() string { return "List, take and release the cluster's locks" }

func (c *LockCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync lock <subcommand> [options] [args]

  The cluster's locks are named leases kept in raft: a holder takes one
  for a TTL and renews it; the fencing token of a grant (the raft index at
  which it was granted) goes with every write the lock guards, and a store
  refuses a token older than one it has seen. A holder that is lost (its
  lease expires) leaves the lock held back for the lock-delay
  (cluster.lock_delay) before the next waiter gets it.

      $ marketsync lock acquire -holder erp-1 -ttl 30s erp/orders
      $ marketsync lock list
      $ marketsync lock release -holder erp-1 -fencing-token 42 erp/orders

  Any agent of the cluster answers: one that is not the raft leader
  forwards to it.`)
}

func (c *LockCommand) Run([]string) int { return cli.RunResultHelp }

// LockListCommand lists the locks.
type LockListCommand struct {
	Meta
}

func (c *LockListCommand) Synopsis() string { return "List the cluster's locks" }

func (c *LockListCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync lock list [options]

  Lists every lock that is held, delayed or waited for: its holder, the
  fencing token of the grant, the TTL, whether it is in its lock-delay, and
  the holders queued for it.

` + generalOptions())
}

func (c *LockListCommand) Run(args []string) int {
	_, cl, err := c.connect(c.FlagSet("lock list", true), args, noArgs("lock list"))
	if err != nil {
		return c.exit(err)
	}
	list, err := cl.Locks().List(context.Background())
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("No locks held")
		return 0
	}
	rows := [][]string{{"NAME", "HOLDER", "TOKEN", "TTL", "DELAYED", "WAITERS"}}
	for _, l := range list {
		rows = append(rows, []string{l.Name, orDash(l.Holder), strconv.FormatUint(l.Token, 10),
			(time.Duration(l.TTLSeconds * float64(time.Second))).String(), strconv.FormatBool(l.Delayed), orDash(strings.Join(l.Waiters, ","))})
	}
	c.Ui.Output(table(rows))
	return 0
}

// lockFlags are the flags of acquire and release.
type lockFlags struct {
	holder string
	ttl    time.Duration
	wait   time.Duration
	token  uint64
}

func (l *lockFlags) register(f *flag.FlagSet, acquire bool) {
	f.StringVar(&l.holder, "holder", "", "")
	if acquire {
		f.DurationVar(&l.ttl, "ttl", 0, "")
		f.DurationVar(&l.wait, "wait", 0, "")
	} else {
		f.Uint64Var(&l.token, "fencing-token", 0, "")
	}
}

// LockAcquireCommand takes a lock.
type LockAcquireCommand struct {
	Meta
}

func (c *LockAcquireCommand) Synopsis() string { return "Take a lock of the cluster" }

func (c *LockAcquireCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync lock acquire -holder HOLDER [options] NAME

  Takes the lock NAME for HOLDER and prints the grant's fencing token. The
  lease lasts -ttl; this command does not renew it (a program does, through
  the API's /v1/locks/renew or the Go client), so it suits scripts and
  checks more than long work.

Lock options:

  -holder=<name>   who takes the lock (required)
  -ttl=<duration>  the lease (default 10s, from 100ms to 1h)
  -wait=<duration> when another holder has the lock, queue and wait up to
                   this long for it (default: fail at once)

` + generalOptions())
}

func (c *LockAcquireCommand) Run(args []string) int {
	var lf lockFlags
	f := c.FlagSet("lock acquire", true)
	lf.register(f, true)
	rest, cl, err := c.connect(f, args, oneArg("lock acquire takes the lock's name"))
	if err != nil {
		return c.exit(err)
	}
	if lf.holder == "" {
		return c.exit(usageError("-holder is required"))
	}
	lease, err := cl.Locks().Acquire(context.Background(), lockRequest(rest[0], lf))
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(lease)
	}
	c.Ui.Output(fmt.Sprintf("Lock %s held by %s, token %d, for %s", lease.Name, lease.Holder, lease.Token, lease.TTL()))
	return 0
}

// LockReleaseCommand lets go of a lock.
type LockReleaseCommand struct {
	Meta
}

func (c *LockReleaseCommand) Synopsis() string { return "Release a lock of the cluster" }

func (c *LockReleaseCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync lock release -holder HOLDER -fencing-token TOKEN [options] NAME

  Releases the grant TOKEN of the lock NAME held by HOLDER; the next waiter,
  if any, gets the lock at once.

Lock options:

  -holder=<name>   the holder (required)
  -fencing-token=<n>  the grant's fencing token, as acquire printed (required)

` + generalOptions())
}

func (c *LockReleaseCommand) Run(args []string) int {
	var lf lockFlags
	f := c.FlagSet("lock release", true)
	lf.register(f, false)
	rest, cl, err := c.connect(f, args, oneArg("lock release takes the lock's name"))
	if err != nil {
		return c.exit(err)
	}
	if lf.holder == "" || lf.token == 0 {
		return c.exit(usageError("-holder and -fencing-token are required"))
	}
	if err := cl.Locks().Release(context.Background(), lockRequest(rest[0], lf)); err != nil {
		return c.exit(err)
	}
	c.Ui.Output(fmt.Sprintf("Lock %s released", rest[0]))
	return 0
}

func lockRequest(name string, lf lockFlags) client.LockRequest {
	return client.LockRequest{Name: name, Holder: lf.holder, TTLSeconds: lf.ttl.Seconds(), WaitSeconds: lf.wait.Seconds(), Token: lf.token}
}
