package command

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/cli"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/mattn/go-runewidth"
	"golang.org/x/term"
)

// Meta holds what every command shares: where it writes, the common flags
// and how it reaches the agent.
type Meta struct {
	Ui cli.Ui
	// Stdout is the writer behind Ui's output, for what draws in place (the
	// progress bar); a bar is drawn only when it is a terminal.
	Stdout io.Writer
	// Stdin is read by collect -f -.
	Stdin io.Reader
	// WatchWait is the longest one blocking query of collect -wait waits
	// for the job to change; zero means 30 seconds.
	WatchWait time.Duration
	// Reconnect is how long -wait keeps trying to reach an agent that
	// stopped answering before it gives up; zero means 2 minutes.
	Reconnect time.Duration

	address string
	token   string
	json    bool
}

// FlagSet returns a flag set with the shared flags: -json always, -address
// and -token when the command talks to the agent.
func (m *Meta) FlagSet(name string, agent bool) *flag.FlagSet {
	f := flag.NewFlagSet(name, flag.ContinueOnError)
	f.SetOutput(io.Discard)
	f.BoolVar(&m.json, "json", false, "")
	if agent {
		f.StringVar(&m.address, "address", "", "")
		f.StringVar(&m.token, "token", "", "")
	}
	return f
}

// Parse parses args with f, allowing flags after positional arguments
// (collect sandbox 1 2 -wait); "--" ends the flags.
func (m *Meta) Parse(f *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, err
		}
		rest := f.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// Client builds the API client from the flags, then the environment.
func (m *Meta) Client() (*client.Client, error) {
	cfg := client.DefaultConfig()
	if m.address != "" {
		cfg.Address = m.address
	}
	if m.token != "" {
		cfg.Token = m.token
	}
	return client.New(cfg)
}

// usageError is a mistake on the command line: exit prints it with the
// command's help.
type usageError string

func (e usageError) Error() string { return string(e) }

// argsCheck says what is wrong with a command's positional arguments.
type argsCheck func(rest []string) error

// noArgs accepts no positional arguments.
func noArgs(command string) argsCheck {
	return func(rest []string) error {
		if len(rest) > 0 {
			return usageError(fmt.Sprintf("%s takes no arguments, got %q", command, rest))
		}
		return nil
	}
}

// oneArg accepts exactly one positional argument; msg says which.
func oneArg(msg string) argsCheck {
	return func(rest []string) error {
		if len(rest) != 1 {
			return usageError(msg)
		}
		return nil
	}
}

// parse parses args with f and checks the positional arguments.
func (m *Meta) parse(f *flag.FlagSet, args []string, check argsCheck) ([]string, error) {
	rest, err := m.Parse(f, args)
	if err != nil {
		return nil, usageError(err.Error())
	}
	if err := check(rest); err != nil {
		return nil, err
	}
	return rest, nil
}

// connect is parse followed by Client, for commands that talk to the agent.
func (m *Meta) connect(f *flag.FlagSet, args []string, check argsCheck) ([]string, *client.Client, error) {
	rest, err := m.parse(f, args, check)
	if err != nil {
		return nil, nil, err
	}
	cl, err := m.Client()
	return rest, cl, err
}

// exit reports err and returns the exit code: for a usage error the CLI
// then prints the command's help and exits 1; any other error exits 1. An
// API error reads "<message> (<code>)"; an agent that cannot be reached is
// named.
func (m *Meta) exit(err error) int {
	var usage usageError
	if errors.As(err, &usage) {
		m.Ui.Error("Error: " + usage.Error())
		m.Ui.Error("")
		return cli.RunResultHelp
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		host := urlErr.URL
		if u, perr := url.Parse(urlErr.URL); perr == nil {
			host = u.Scheme + "://" + u.Host
		}
		err = fmt.Errorf("cannot reach the agent at %s: %w", host, urlErr.Err)
	}
	m.Ui.Error("Error: " + err.Error())
	return 1
}

// printJSON writes v as indented JSON.
func (m *Meta) printJSON(v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return m.exit(err)
	}
	m.Ui.Output(string(b))
	return 0
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// table lays rows out in columns two spaces apart, the first row being the
// header. Columns are padded by display width, not bytes or runes, so
// Chinese text (two columns a character in a terminal) stays aligned.
func table(rows [][]string) string {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(cell))
		}
	}
	var b strings.Builder
	for n, r := range rows {
		if n > 0 {
			b.WriteByte('\n')
		}
		var line strings.Builder
		for i, cell := range r {
			line.WriteString(cell)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(cell)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
	}
	return b.String()
}

// fields lays out "Key = value" lines, keys aligned; a pair with an empty
// value is left out.
func fields(pairs ...string) string {
	var rows [][]string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			rows = append(rows, []string{pairs[i], "= " + pairs[i+1]})
		}
	}
	return table(rows)
}

// clock formats a time in the local zone; "" for the zero time.
func clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// generalOptions is the help of the shared flags.
func generalOptions() string {
	return strings.TrimSpace(`
General Options:

  -address=<addr>
    The agent's HTTP API address. Overrides MARKETSYNC_ADDR.
    Default: ` + client.DefaultAddress + `
    An https:// address uses the CA certificate file in MARKETSYNC_CACERT
    (else the system's CAs) and, for an agent that requires one, the client
    certificate and key files in MARKETSYNC_CLIENT_CERT and
    MARKETSYNC_CLIENT_KEY.

  -token=<token>
    The API token, when the agent requires one. Overrides MARKETSYNC_TOKEN.

  -json
    Print the API's JSON object instead of text.`)
}
