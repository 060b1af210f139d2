package host

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

// helperEnv makes the test binary serve helperPlugin instead of running
// tests, so tests launch a real plugin process: go-plugin's helper-process
// pattern. Launch passes it through Options.Env, as the plugin's
// environment is otherwise the host's allow-list.
const helperEnv = "MARKETSYNC_HOST_TEST_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		sdk.Serve(&helperPlugin{})
		return
	}
	os.Exit(m.Run())
}

// helperPlugin is a plugin as careless as a real one can be: it logs its
// secret, its errors echo the request with the secret in it, and it
// starts processes that outlive it. Fetching an id tells it what to do.
type helperPlugin struct {
	sloppy
	session string
}

func (h *helperPlugin) Describe() sdk.Description {
	d := h.sloppy.Describe()
	d.Name = "helper"
	d.Config = sdk.ConfigSpec{
		{Name: "session", Type: sdk.FieldString, Sensitive: true},
		{Name: "app_key", Type: sdk.FieldString},
	}
	return d
}

func (h *helperPlugin) Configure(_ context.Context, c *sdk.Config) error {
	h.session = c.String("session")
	sdk.Logger().Info("configured with session "+h.session, "session", h.session)
	if c.String("app_key") == "refuse" {
		return sdk.Auth("27", "session "+h.session+" refused")
	}
	return nil
}

func (h *helperPlugin) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	switch req.IDs[0] {
	case "env":
		return nil, sdk.Invalid("ENV", strings.Join(os.Environ(), "\n"))
	case "echo":
		return nil, sdk.Auth("27", "Invalid session: /router/rest?session="+url.QueryEscape(h.session))
	case "spawn", "detach":
		// A child that holds the plugin's standard output and error, as a
		// helper tool started without care would; detached, it leaves the
		// plugin's process group, as a daemon does.
		// (go-plugin's Serve points os.Stdout and os.Stderr at pipes of
		// its own: descriptors 1 and 2 are the host's.)
		cmd := exec.Command("sleep", "600")
		cmd.Stdout, cmd.Stderr = os.NewFile(1, "stdout"), os.NewFile(2, "stderr")
		if req.IDs[0] == "detach" {
			detach(cmd)
		}
		if err := cmd.Start(); err != nil {
			return nil, sdk.Unavailable("SPAWN", err.Error())
		}
		return nil, sdk.NotFound("PID", strconv.Itoa(cmd.Process.Pid))
	}
	resp := &sdk.FetchProductsResponse{}
	for _, id := range req.IDs {
		resp.Results = append(resp.Results, sdk.ProductResult{ID: id, Err: sdk.Invalid(h.session, "bad item, session="+h.session)})
	}
	return resp, nil
}

// launchHelper launches the test binary as helperPlugin.
func launchHelper(t *testing.T, opts Options) (*Plugin, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	opts.Path = exe
	opts.Env = append(opts.Env, helperEnv+"=1")
	p, err := Launch(context.Background(), opts)
	if err == nil {
		t.Cleanup(p.Kill)
	}
	return p, err
}

func mustLaunchHelper(t *testing.T, opts Options) *Plugin {
	t.Helper()
	p, err := launchHelper(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func configJSON(session string) []byte {
	return fmt.Appendf(nil, `{"session":%q,"app_key":"12345"}`, session)
}
