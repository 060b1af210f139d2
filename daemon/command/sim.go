package command

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/marketsync/marketsync/config"
	ali1688 "github.com/marketsync/marketsync/plugins/alibaba1688/collector"
	ali1688sim "github.com/marketsync/marketsync/plugins/alibaba1688/sim"
	aliexpress "github.com/marketsync/marketsync/plugins/aliexpress/collector"
	aliexpresssim "github.com/marketsync/marketsync/plugins/aliexpress/sim"
	pdd "github.com/marketsync/marketsync/plugins/pinduoduo/collector"
	pddsim "github.com/marketsync/marketsync/plugins/pinduoduo/sim"
	taobao "github.com/marketsync/marketsync/plugins/taobao/collector"
	taobaosim "github.com/marketsync/marketsync/plugins/taobao/sim"
)

// SimCommand serves one marketplace's simulator on a local port, so that
// the real plugin can be tried without an account.
type SimCommand struct {
	Meta

	// ctx, when set, ends the command as Ctrl-C does; started, when set,
	// is told the block once the simulator serves. Both are for tests.
	ctx     context.Context
	started func(block string)
}

// simRate is the calls per second (and burst) the simulators allow, and
// the rate_limit the printed block gives the platform: far above the
// real platforms' quotas, so that trying things is not slowed by them.
const simRate = 20

// simulated is what serving one simulator gives: its gateway, the
// platform's config settings that point the plugin at it (in the order
// the block prints them; endpoint is added), and ids that collect.
type simulated struct {
	handler  http.Handler
	endpoint string // the gateway's path, after the server's URL
	settings [][2]string
	ids      []string
}

// simulators builds each marketplace's simulator from its seed, by plugin
// name, with the simulator's own test credentials.
var simulators = map[string]func(seed uint64) simulated{
	"taobao": func(seed uint64) simulated {
		s := taobaosim.New(taobaosim.Options{Seed: seed, Rate: simRate, Burst: simRate})
		c := s.Credentials()
		return simulated{
			handler: s.Handler(), endpoint: taobaosim.Path,
			settings: [][2]string{{taobao.FieldAppKey, c.AppKey}, {taobao.FieldAppSecret, c.AppSecret}, {taobao.FieldSession, c.Session}},
			ids:      foundIDs(s.IDs(), func(id string) bool { return s.Expect(id).Found }),
		}
	},
	"alibaba1688": func(seed uint64) simulated {
		s := ali1688sim.New(ali1688sim.Options{Seed: seed, Rate: simRate, Burst: simRate})
		c := s.Credentials()
		return simulated{
			handler: s.Handler(), endpoint: "/openapi",
			settings: [][2]string{{ali1688.FieldAppKey, c.AppKey}, {ali1688.FieldAppSecret, c.AppSecret}, {ali1688.FieldAccessToken, c.AccessToken}, {ali1688.FieldShop, s.ShopID()}},
			ids:      foundIDs(s.IDs(), func(id string) bool { return s.Expect(id).Outcome == ali1688sim.Found }),
		}
	},
	"pinduoduo": func(seed uint64) simulated {
		s := pddsim.New(pddsim.Options{Seed: seed, Rate: simRate, Burst: simRate})
		c := s.Credentials()
		return simulated{
			handler: s.Handler(), endpoint: pddsim.Path,
			settings: [][2]string{{pdd.FieldClientID, c.ClientID}, {pdd.FieldClientSecret, c.ClientSecret}, {pdd.FieldAccessToken, c.AccessToken}, {pdd.FieldMallID, s.ShopID}},
			ids:      foundIDs(s.IDs(), func(id string) bool { return !s.Expect(id).NotFound }),
		}
	},
	"aliexpress": func(seed uint64) simulated {
		s := aliexpresssim.New(aliexpresssim.Options{Seed: seed, Rate: simRate, Burst: simRate})
		c := s.Credentials()
		return simulated{
			handler: s.Handler(), endpoint: "",
			settings: [][2]string{{aliexpress.FieldAppKey, c.AppKey}, {aliexpress.FieldAppSecret, c.AppSecret}, {aliexpress.FieldAccessToken, c.AccessToken}},
			ids:      foundIDs(s.IDs(), func(id string) bool { return s.Expect(id).Collected() }),
		}
	},
}

// foundIDs is up to five ids of the catalogue that collect as products.
func foundIDs(ids []string, found func(string) bool) []string {
	var out []string
	for _, id := range ids {
		if len(out) < 5 && found(id) {
			out = append(out, id)
		}
	}
	return out
}

func (c *SimCommand) Synopsis() string { return "Serve a marketplace simulator to try a plugin on" }

func (c *SimCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync sim [-addr HOST:PORT] [-name NAME] [-seed N] PLUGIN

  Serves the simulator of one marketplace (` + strings.Join(simNames(), ", ") + `)
  on a local port: the platform's API as its documentation describes it
  (signing, error codes, limits, pagination) over a seeded catalogue. It
  prints the platform block that points the real plugin at it, with the
  simulator's test credentials, on standard output, and how to try it on
  standard error; then it serves until interrupted (Ctrl-C).

    marketsync sim taobao > taobao-sim.hcl
    marketsync agent -dev -config taobao-sim.hcl      # in a second terminal

Options:

  -addr HOST:PORT
    Where to listen. Default 127.0.0.1:0, a free port.

  -name NAME
    The platform block's name. Default PLUGIN-sim.

  -seed N
    Seed of the catalogue: the same seed gives the same products. Default 1.`)
}

func simNames() []string {
	var names []string
	for name := range simulators {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func (c *SimCommand) Run(args []string) int {
	var (
		addr, name string
		seed       uint64
	)
	f := c.FlagSet("sim", false)
	f.StringVar(&addr, "addr", "127.0.0.1:0", "")
	f.StringVar(&name, "name", "", "")
	f.Uint64Var(&seed, "seed", 1, "")
	rest, err := c.parse(f, args, oneArg("sim needs the plugin whose marketplace to simulate: "+strings.Join(simNames(), ", ")))
	if err != nil {
		return c.exit(err)
	}
	plugin := rest[0]
	newSim, ok := simulators[plugin]
	if !ok {
		return c.exit(usageError(fmt.Sprintf("no simulator for %q: there are %s", plugin, strings.Join(simNames(), ", "))))
	}
	if name == "" {
		name = plugin + "-sim"
	}
	sim := newSim(seed)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return c.exit(err)
	}
	srv := &http.Server{Handler: sim.handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	block := simBlock(plugin, name, url, seed, append(sim.settings, [2]string{"endpoint", url + sim.endpoint}))
	c.Ui.Output(block)
	c.Ui.Error(simHints(plugin, name, url, sim.ids))
	if c.started != nil {
		c.started(block)
	}

	ctx := c.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case err := <-served:
		return c.exit(err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return c.exit(err)
	}
	return 0
}

// simBlock is the platform block that points plugin at the simulator.
func simBlock(plugin, name, url string, seed uint64, settings [][2]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The %s simulator at %s (seed %d), with its test credentials.\n", plugin, url, seed)
	fmt.Fprintf(&b, "platform %q %q {\n", plugin, name)
	fmt.Fprintf(&b, "  # The simulator allows %d calls/s; against the real platform, leave\n", simRate)
	b.WriteString("  # rate_limit out to keep the plugin's documented limits.\n")
	fmt.Fprintf(&b, "  rate_limit {\n    rate  = %d\n    burst = %d\n  }\n\n  config {\n", simRate, simRate)
	width := 0
	for _, s := range settings {
		width = max(width, len(s[0]))
	}
	for _, s := range settings {
		fmt.Fprintf(&b, "    %-*s = %s\n", width, s[0], strconv.Quote(s[1]))
	}
	b.WriteString("  }\n}")
	out, diags := config.Format([]byte(b.String()+"\n"), "<sim>")
	if diags.HasErrors() {
		return b.String() // quoted strings always format; this cannot happen
	}
	return strings.TrimRight(string(out), "\n")
}

func simHints(plugin, name, url string, ids []string) string {
	return fmt.Sprintf(`==> %s simulator serving on %s; Ctrl-C stops it.

    The platform block printed on standard output points the %s
    plugin at it. Save it (marketsync sim %s > %s.hcl), then in
    another terminal:

      marketsync agent -dev -config %s.hcl
      marketsync collect %s %s -wait
      marketsync product %s:%s
`, plugin, url, plugin, plugin, name, name, name, strings.Join(ids, " "), name, firstOr(ids, "ID"))
}

func firstOr(list []string, fallback string) string {
	if len(list) == 0 {
		return fallback
	}
	return list[0]
}
