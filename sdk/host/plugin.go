package host

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/internal/rpc"
	"github.com/marketsync/marketsync/sdk/model"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Options says how to start one plugin.
type Options struct {
	// Path is the plugin binary. Ignored when Reattach is set. It is
	// refused when users other than root and the agent's user and group
	// may change it or its directory (see checkWriters).
	Path string
	// SHA256, when set, pins the binary: Launch refuses a file with
	// another checksum (as Vault's plugin catalogue does). The file is
	// hashed and executed through one descriptor, so it cannot be swapped
	// in between. Unpinned, Launch logs a warning with the file's digest.
	SHA256 []byte
	// Logger receives go-plugin's messages and the plugin's own log lines.
	Logger *slog.Logger
	// StartTimeout bounds the handshake (default 30s).
	StartTimeout time.Duration
	// Reattach attaches to a plugin already serving (sdk.ServeTest) instead
	// of launching a process; used by in-process tests.
	Reattach *plugin.ReattachConfig
	// PassEnv names variables of the host's environment that the plugin
	// gets too, such as HTTPS_PROXY and NO_PROXY. Without them it gets only
	// PATH, HOME, TMPDIR, TZ, LANG, LANGUAGE and LC_* (see pluginEnv).
	PassEnv []string
	// Env is added to the plugin's environment.
	Env []string
}

// Plugin is one running plugin, launched as a process or in-process.
type Plugin struct {
	client *plugin.Client
	call   transport
	desc   sdk.Description
	sum    []byte
	log    *slog.Logger
	// redact holds the values of the sensitive settings given to
	// Configure; every error and log line from the plugin goes through it.
	redact *redactor
}

// transport makes one call of the protocol: over gRPC to a process, or
// straight to the server in-process.
type transport interface {
	describe(ctx context.Context) (*model.Description, error)
	configure(ctx context.Context, configJSON []byte) error
	invoke(ctx context.Context, op *model.OperationSpec, req proto.Message) (proto.Message, error)
}

// ProtocolVersion is the plugin protocol this host speaks.
const ProtocolVersion = rpc.ProtocolVersion

// ErrChecksum is returned by Launch when the binary does not match its pin.
var ErrChecksum = plugin.ErrChecksumsDoNotMatch

// Launch starts the plugin, completes the handshake and asks it to
// Describe itself. On any failure the process is killed before returning.
//
// The plugin runs in a process group of its own, with an environment of
// its own (pluginEnv): go-plugin's SkipHostEnv is set.
func Launch(ctx context.Context, opts Options) (*Plugin, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	red := new(redactor)
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  rpc.Handshake,
		VersionedPlugins: rpc.VersionedPlugins(nil),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           newHCLogger(logger, red),
		StartTimeout:     opts.StartTimeout,
		SkipHostEnv:      true,
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	var sum []byte
	if opts.Reattach != nil {
		cfg.Reattach = opts.Reattach
		cfg.AutoMTLS = false
		// There is no handshake to pick a version from when reattaching;
		// go-plugin then dispenses from Plugins.
		cfg.Plugins = cfg.VersionedPlugins[rpc.ProtocolVersion]
	} else {
		bin, err := openBinary(opts.Path, opts.SHA256)
		if err != nil {
			return nil, err
		}
		// The child has its own descriptor once started.
		defer bin.file.Close()
		sum = bin.sum
		if len(opts.SHA256) == 0 {
			logger.Warn("plugin binary is not pinned: set plugin_sha256 so that no other file is run in its place",
				"path", opts.Path, "sha256", hex.EncodeToString(sum))
		}
		// go-plugin builds the command's environment (its handshake
		// variables only, with SkipHostEnv) and hands it over here.
		cfg.RunnerFunc = func(l hclog.Logger, spec *exec.Cmd, _ string) (runner.Runner, error) {
			cmd := exec.Command(opts.Path)
			cmd.Env = append(pluginEnv(os.Environ(), opts.PassEnv, opts.Env), spec.Env...)
			cmd.Stdin = spec.Stdin
			execThrough(cmd, bin.file)
			return newProcessRunner(l, cmd, opts.Path), nil
		}
	}
	client := plugin.NewClient(cfg)
	p, err := connect(ctx, client, red)
	if err != nil {
		client.Kill()
		return nil, err
	}
	p.sum, p.log = sum, logger
	return p, nil
}

func connect(ctx context.Context, client *plugin.Client, red *redactor) (*Plugin, error) {
	proto, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("start plugin: %w", err)
	}
	raw, err := proto.Dispense(rpc.PluginSetName)
	if err != nil {
		return nil, fmt.Errorf("plugin does not serve the platform protocol: %w", err)
	}
	conn, ok := raw.(*grpc.ClientConn)
	if !ok {
		return nil, fmt.Errorf("plugin returned %T, not a gRPC connection", raw)
	}
	return newPlugin(ctx, client, grpcTransport{conn}, red)
}

// newPlugin asks the plugin to describe itself and checks the answer.
func newPlugin(ctx context.Context, client *plugin.Client, t transport, red *redactor) (*Plugin, error) {
	md, err := t.describe(ctx)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", rpc.FromStatus(err))
	}
	desc, err := descriptionFromModel(md)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	return &Plugin{client: client, call: t, desc: desc, redact: red, log: slog.New(slog.DiscardHandler)}, nil
}

// Description is what the plugin said of itself at launch.
func (p *Plugin) Description() sdk.Description { return p.desc }

// SHA256 is the digest of the binary the plugin runs from; nil for a
// plugin not launched from a file.
func (p *Plugin) SHA256() []byte { return p.sum }

// Configure hands the plugin its config block as a JSON object. From then
// on, the values of the fields the plugin's description marks Sensitive
// are replaced by [redacted] in every error Configure and Invoke return
// and in every log line the plugin writes.
func (p *Plugin) Configure(ctx context.Context, configJSON []byte) error {
	for _, name := range p.redact.set(p.desc.Config, configJSON) {
		p.log.Warn("sensitive setting too short to be redacted from the plugin's errors and logs", "field", name, "min_length", minRedactLen)
	}
	return p.redact.error(rpc.FromStatus(p.call.configure(ctx, configJSON)))
}

// Invoke makes the operation whose request req is (a request message of
// sdk/model, such as *model.FetchProductsRequest) and returns its
// response. The answer is checked by the operation table: exactly one
// result per item, in request order, products valid, so a plugin's bug
// fails items alone. A whole-call failure is a *model.Error. The values
// of sensitive settings are redacted from every error, whole-call or per
// item.
func (p *Plugin) Invoke(ctx context.Context, req proto.Message) (proto.Message, error) {
	resp, err := p.invoke(ctx, req)
	if err != nil {
		return nil, p.redact.error(err)
	}
	p.redact.message(resp)
	return resp, nil
}

func (p *Plugin) invoke(ctx context.Context, req proto.Message) (proto.Message, error) {
	op, ok := model.OperationOf(req)
	if !ok {
		return nil, model.Invalid(model.CodeNoRequest, fmt.Sprintf("%T is not the request of any operation", req))
	}
	resp, err := p.call.invoke(ctx, op, req)
	if err != nil {
		return nil, rpc.FromStatus(err)
	}
	if err := op.Check(req, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// Ping checks that the plugin process answers on its connection.
func (p *Plugin) Ping() error {
	if p.client == nil {
		return nil // in-process
	}
	proto, err := p.client.Client()
	if err != nil {
		return err
	}
	return proto.Ping()
}

// Exited reports whether the plugin process has ended.
func (p *Plugin) Exited() bool { return p.client != nil && p.client.Exited() }

// Kill asks the plugin to shut down, then kills it after a grace period.
// It is safe to call more than once.
func (p *Plugin) Kill() {
	if p.client != nil {
		p.client.Kill()
	}
}

// grpcTransport calls a plugin process over its gRPC connection, by the
// method names of the operation table.
type grpcTransport struct{ conn *grpc.ClientConn }

func (t grpcTransport) describe(ctx context.Context) (*model.Description, error) {
	out := new(model.Description)
	return out, t.conn.Invoke(ctx, rpc.FullMethod("Describe"), &pluginv1.DescribeRequest{}, out)
}

func (t grpcTransport) configure(ctx context.Context, configJSON []byte) error {
	return t.conn.Invoke(ctx, rpc.FullMethod("Configure"), &pluginv1.ConfigureRequest{ConfigJson: configJSON}, new(pluginv1.ConfigureResponse))
}

func (t grpcTransport) invoke(ctx context.Context, op *model.OperationSpec, req proto.Message) (proto.Message, error) {
	resp := op.NewResponse()
	if err := t.conn.Invoke(ctx, rpc.FullMethod(op.Method), req, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// Call is Invoke for a caller that knows the response's type:
//
//	resp, err := host.Call[*model.FetchProductsResponse](ctx, p, &model.FetchProductsRequest{Ids: ids})
func Call[Resp proto.Message](ctx context.Context, p *Plugin, req proto.Message) (Resp, error) {
	var zero Resp
	resp, err := p.Invoke(ctx, req)
	if err != nil {
		return zero, err
	}
	out, ok := resp.(Resp)
	if !ok {
		return zero, fmt.Errorf("%T answers with %T, not %T", req, resp, zero)
	}
	return out, nil
}
