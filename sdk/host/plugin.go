package host

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/marketsync/marketsync/sdk"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
)

// Options says how to start one plugin.
type Options struct {
	// Path is the plugin binary. Ignored when Reattach is set.
	Path string
	// SHA256, when set, pins the binary: go-plugin refuses to start a file
	// with another checksum (as Vault's plugin catalogue does).
	SHA256 []byte
	// Logger receives go-plugin's messages and the plugin's own log lines.
	Logger *slog.Logger
	// StartTimeout bounds the handshake (default 30s).
	StartTimeout time.Duration
	// Reattach attaches to a plugin already serving (sdk.ServeTest) instead
	// of launching a process; used by in-process tests.
	Reattach *plugin.ReattachConfig
	// Env is added to the plugin's environment.
	Env []string
}

// Plugin is one running plugin process.
type Plugin struct {
	client *plugin.Client
	rpc    pluginv1.PlatformClient
	desc   sdk.Description
}

// ErrChecksum is returned by Launch when the binary does not match its pin.
var ErrChecksum = plugin.ErrChecksumsDoNotMatch

// Launch starts the plugin, completes the handshake and asks it to
// Describe itself. On any failure the process is killed before returning.
func Launch(ctx context.Context, opts Options) (*Plugin, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.VersionedPlugins(nil),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           newHCLogger(logger),
		StartTimeout:     opts.StartTimeout,
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if opts.Reattach != nil {
		cfg.Reattach = opts.Reattach
		cfg.AutoMTLS = false
		// There is no handshake to pick a version from when reattaching;
		// go-plugin then dispenses from Plugins.
		cfg.Plugins = cfg.VersionedPlugins[sdk.ProtocolVersion]
	} else {
		if _, err := os.Stat(opts.Path); err != nil {
			return nil, fmt.Errorf("plugin binary: %w", err)
		}
		cmd := exec.Command(opts.Path)
		cmd.Env = append(os.Environ(), opts.Env...)
		setParentDeathSignal(cmd)
		cfg.Cmd = cmd
		if len(opts.SHA256) > 0 {
			cfg.SecureConfig = &plugin.SecureConfig{Checksum: opts.SHA256, Hash: sha256.New()}
		}
	}
	client := plugin.NewClient(cfg)
	p, err := connect(ctx, client)
	if err != nil {
		client.Kill()
		return nil, err
	}
	return p, nil
}

func connect(ctx context.Context, client *plugin.Client) (*Plugin, error) {
	proto, err := client.Client()
	if err != nil {
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return nil, fmt.Errorf("plugin binary does not match its sha256 pin: %w", err)
		}
		return nil, fmt.Errorf("start plugin: %w", err)
	}
	raw, err := proto.Dispense(sdk.PluginSetName)
	if err != nil {
		return nil, fmt.Errorf("plugin does not serve the platform protocol: %w", err)
	}
	rpc, ok := raw.(pluginv1.PlatformClient)
	if !ok {
		return nil, fmt.Errorf("plugin returned %T, not a platform client", raw)
	}
	resp, err := rpc.Describe(ctx, &pluginv1.DescribeRequest{})
	if err != nil {
		return nil, fmt.Errorf("describe: %w", sdk.FromStatus(err))
	}
	desc, err := sdk.DescriptionFromProto(resp)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	return &Plugin{client: client, rpc: rpc, desc: desc}, nil
}

// Description is what the plugin said of itself at launch.
func (p *Plugin) Description() sdk.Description { return p.desc }

// Configure hands the plugin its config block as a JSON object.
func (p *Plugin) Configure(ctx context.Context, configJSON []byte) error {
	_, err := p.rpc.Configure(ctx, &pluginv1.ConfigureRequest{ConfigJson: configJSON})
	return sdk.FromStatus(err)
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

// FetchProducts fetches products by id. The answer has exactly one result
// per requested id, in request order; see realign.
func (p *Plugin) FetchProducts(ctx context.Context, req *pluginv1.FetchProductsRequest) (*pluginv1.FetchProductsResponse, error) {
	resp, err := p.rpc.FetchProducts(ctx, req)
	if err != nil {
		return nil, sdk.FromStatus(err)
	}
	resp.Results = realignProducts(req.GetIds(), resp.GetResults())
	return resp, nil
}

// ListProducts lists a page of ids.
func (p *Plugin) ListProducts(ctx context.Context, req *pluginv1.ListProductsRequest) (*pluginv1.ListProductsResponse, error) {
	resp, err := p.rpc.ListProducts(ctx, req)
	if err != nil {
		return nil, sdk.FromStatus(err)
	}
	if resp.GetNextCursor() != "" && resp.GetNextCursor() == req.GetCursor() {
		return nil, sdk.Invalid("plugin_cursor_loop", "plugin returned the cursor it was given; listing would never end")
	}
	return resp, nil
}

// ResolveURLs turns product URLs into ids, one result per URL in order; a
// URL the plugin left unanswered fails alone.
func (p *Plugin) ResolveURLs(ctx context.Context, req *pluginv1.ResolveURLsRequest) (*pluginv1.ResolveURLsResponse, error) {
	resp, err := p.rpc.ResolveURLs(ctx, req)
	if err != nil {
		return nil, sdk.FromStatus(err)
	}
	byURL := make(map[string]*pluginv1.ResolveResult, len(resp.GetResults()))
	for _, r := range resp.GetResults() {
		byURL[r.GetUrl()] = r
	}
	out := make([]*pluginv1.ResolveResult, len(req.GetUrls()))
	for i, u := range req.GetUrls() {
		r, ok := byURL[u]
		switch {
		case !ok:
			r = &pluginv1.ResolveResult{Url: u, Error: sdk.ErrorToProto(sdk.Unavailable(CodeMissingResult, "plugin returned no result for this URL"))}
		case r.GetError() == nil && r.GetId() == "":
			r = &pluginv1.ResolveResult{Url: u, Error: sdk.ErrorToProto(sdk.Unavailable(CodeEmptyResult, "plugin returned neither an id nor an error"))}
		}
		out[i] = r
	}
	resp.Results = out
	return resp, nil
}

// GetRemoteProducts reads products from a store by remote id.
func (p *Plugin) GetRemoteProducts(ctx context.Context, req *pluginv1.GetRemoteProductsRequest) (*pluginv1.GetRemoteProductsResponse, error) {
	resp, err := p.rpc.GetRemoteProducts(ctx, req)
	if err != nil {
		return nil, sdk.FromStatus(err)
	}
	resp.Results = realignProducts(req.GetRemoteIds(), resp.GetResults())
	return resp, nil
}

// UpsertProducts creates or updates products in a store.
func (p *Plugin) UpsertProducts(ctx context.Context, req *pluginv1.UpsertProductsRequest) (*pluginv1.UpsertProductsResponse, error) {
	resp, err := p.rpc.UpsertProducts(ctx, req)
	if err != nil {
		return nil, sdk.FromStatus(err)
	}
	resp.Results = realignWrites(keysOf(req.GetItems()), resp.GetResults())
	return resp, nil
}

// keysOf lists the idempotency keys of a write's items, in order.
func keysOf[T interface{ GetIdempotencyKey() string }](items []T) []string {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.GetIdempotencyKey()
	}
	return keys
}

// SetInventory sets stock per SKU.
func (p *Plugin) SetInventory(ctx context.Context, req *pluginv1.SetInventoryRequest) (*pluginv1.SetInventoryResponse, error) {
	resp, err := p.rpc.SetInventory(ctx, req)
	if err != nil {
		return nil, sdk.FromStatus(err)
	}
	resp.Results = realignWrites(keysOf(req.GetItems()), resp.GetResults())
	return resp, nil
}

// SetPrices sets prices per SKU.
func (p *Plugin) SetPrices(ctx context.Context, req *pluginv1.SetPricesRequest) (*pluginv1.SetPricesResponse, error) {
	resp, err := p.rpc.SetPrices(ctx, req)
	if err != nil {
		return nil, sdk.FromStatus(err)
	}
	resp.Results = realignWrites(keysOf(req.GetItems()), resp.GetResults())
	return resp, nil
}
