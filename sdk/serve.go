package sdk

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/marketsync/marketsync/sdk/internal/rpc"
	"github.com/marketsync/marketsync/sdk/model"
)

// Serve runs p as a plugin process: it answers go-plugin's handshake on
// standard output, serves the platform protocol over gRPC with mutual TLS
// negotiated by the host, and returns only when the host is done with it.
// Call it first thing in main; nothing may be printed to standard output
// before it.
//
// Serve also makes the plugin exit when its host dies, so that a killed
// agent never leaves plugin processes behind: it watches its parent
// process and exits when it is re-parented. (On Linux the host also sets
// the parent-death signal.) When the host shuts the plugin down, the
// contexts of calls in flight are cancelled.
func Serve(p Plugin) {
	s, err := newServer(p)
	if err != nil {
		fmt.Fprintf(stderr, "marketsync plugin: %v\n", err)
		os.Exit(1)
	}
	go watchParent(os.Getppid(), time.Second, func() { os.Exit(2) })
	rpc.Serve(s, stderr)
}

// ServeTest serves p in-process for tests, the way go-plugin's reattach
// support intends: it returns the reattach config a host uses instead of
// launching a binary (host.Options.Reattach), and stops serving when ctx
// ends; the channel is closed once it has.
func ServeTest(ctx context.Context, p Plugin) (*plugin.ReattachConfig, <-chan struct{}, error) {
	s, err := newServer(p)
	if err != nil {
		return nil, nil, err
	}
	return rpc.ServeTest(ctx, s)
}

func newServer(p Plugin) (*rpc.Server, error) {
	h, err := newAdapter(p)
	if err != nil {
		return nil, err
	}
	return rpc.NewServer(h)
}

func init() {
	rpc.Adapt = func(p any) (rpc.Handler, error) {
		pl, ok := p.(Plugin)
		if !ok {
			return nil, fmt.Errorf("%T is not an sdk.Plugin", p)
		}
		return newAdapter(pl)
	}
	rpc.ProductFromModel = func(p *model.Product) any { return productFromModel(p) }
	rpc.ProductToModel = func(p any) *model.Product { return productToModel(p.(*Product)) }
	rpc.ErrorFromModel = func(e *model.Error) any { return errorFromModel(e) }
}

// checkPlugin refuses a plugin whose description is unusable, so an author
// learns at start-up rather than from a host's confusing error.
func checkPlugin(p Plugin) (Description, error) {
	d := describe(p)
	if d.Name == "" {
		return d, fmt.Errorf("Describe returned no name")
	}
	if len(d.Capabilities) == 0 {
		return d, fmt.Errorf("plugin %s implements neither sdk.Collector nor sdk.Publisher", d.Name)
	}
	if err := d.Config.Validate(); err != nil {
		return d, fmt.Errorf("plugin %s: %w", d.Name, err)
	}
	return d, nil
}

// describe returns p's description with the capabilities of the
// operations it implements (adapter.go).
func describe(p Plugin) Description {
	d := p.Describe()
	d.Capabilities = capabilities(p)
	return d
}

func watchParent(ppid int, every time.Duration, exit func()) {
	if ppid <= 1 {
		return // started by init or a test harness: nothing to watch
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != ppid {
			exit()
			return
		}
	}
}
