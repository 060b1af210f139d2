package rpc

import (
	"context"

	"github.com/hashicorp/go-plugin"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
	"google.golang.org/grpc"
)

// ProtocolVersion is the plugin protocol this SDK speaks. Hosts launch
// plugins with VersionedPlugins, so a host can serve several versions side
// by side when the protocol changes.
const ProtocolVersion = 1

// PluginSetName is the key of the platform service in go-plugin's plugin
// set.
const PluginSetName = "platform"

// ServiceName is the gRPC service of the protocol.
var ServiceName = pluginv1.Platform_ServiceDesc.ServiceName

// Handshake is the go-plugin handshake shared by host and plugin. The
// cookie is not a secret: it only stops a plugin binary run by hand from
// waiting forever for a host.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "MARKETSYNC_PLUGIN",
	MagicCookieValue: "f3b1c0a2-marketsync-platform-plugin",
}

// GRPCPlugin adapts a Handler to go-plugin's gRPC transport. Hosts use it
// with a nil Impl to obtain the client connection.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl *Server
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the platform service.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(p.Impl.serviceDesc(), p.Impl)
	return nil
}

// GRPCClient returns the connection itself: the host calls methods by the
// names in the operation table.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return c, nil
}

// VersionedPlugins is the plugin set by protocol version.
func VersionedPlugins(s *Server) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginSetName: &GRPCPlugin{Impl: s}},
	}
}

// FullMethod is the gRPC path of a method of the service.
func FullMethod(method string) string { return "/" + ServiceName + "/" + method }
