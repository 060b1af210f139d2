package rpc

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/marketsync/marketsync/sdk/model"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Handler is a plugin as the protocol sees it, in the model's terms. The
// sdk package adapts an author's sdk.Plugin to it.
type Handler interface {
	Describe() (*model.Description, error)
	Configure(ctx context.Context, configJSON []byte) error
	// Invoke runs one data operation. A whole-call failure is a
	// *model.Error (or wraps ErrUnimplemented); anything else is sent as
	// UNAVAILABLE.
	Invoke(ctx context.Context, op *model.OperationSpec, req proto.Message) (proto.Message, error)
}

// Hooks the sdk package sets when it is initialised, so that hosts (sdk/host)
// reach the one adapter and the one set of conversions between the
// author-facing types and the model without the sdk exporting them: the
// sdk cannot import a package that imports it.
var (
	// Adapt turns a value of the sdk's Plugin interface into a Handler.
	Adapt func(plugin any) (Handler, error)
	// ProductFromModel returns an sdk.Product; ProductToModel takes a
	// *sdk.Product.
	ProductFromModel func(*model.Product) any
	ProductToModel   func(any) *model.Product
	// ErrorFromModel returns an *sdk.Error (nil for nil).
	ErrorFromModel func(*model.Error) any
)

// Server serves a Handler over the protocol: it checks every request
// against the capabilities and batch caps the plugin declared, encodes
// typed errors, and cancels calls in flight when the host shuts the
// plugin down.
type Server struct {
	h    Handler
	desc *model.Description
	caps map[model.Capability]bool

	// stopping is cancelled when the host asks the plugin to shut down;
	// every call's context is cancelled with it.
	stopping context.Context
	stop     context.CancelFunc
}

// NewServer returns the server of h, after checking its description.
func NewServer(h Handler) (*Server, error) {
	desc, err := h.Describe()
	if err != nil {
		return nil, err
	}
	s := &Server{h: h, desc: desc, caps: map[model.Capability]bool{}}
	for _, c := range desc.GetCapabilities() {
		s.caps[c] = true
	}
	s.stopping, s.stop = context.WithCancel(context.Background())
	return s, nil
}

// Stop cancels every call in flight and every call still to come.
func (s *Server) Stop() { s.stop() }

// Describe answers the handshake's first question.
func (s *Server) Describe() *model.Description { return s.desc }

// Configure hands the plugin its config block.
func (s *Server) Configure(ctx context.Context, configJSON []byte) error {
	return ToStatus(s.h.Configure(ctx, configJSON))
}

// Invoke runs one operation as a gRPC method would: checked, with the
// call's context cancelled on Stop, and whole-call errors as statuses.
func (s *Server) Invoke(ctx context.Context, op *model.OperationSpec, req proto.Message) (proto.Message, error) {
	if !s.caps[op.Capability] {
		return nil, status.Errorf(codes.Unimplemented, "plugin %s cannot %s", s.desc.GetName(), capabilityName(op.Capability))
	}
	if max := s.maxBatch(op.Op); max > 0 && op.Items(req) > max {
		return nil, ToStatus(model.Invalid(model.CodeBatchTooLarge, fmt.Sprintf("%s takes at most %d items, got %d", op.Name, max, op.Items(req))))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopWatch := context.AfterFunc(s.stopping, cancel)
	defer stopWatch()
	resp, err := s.h.Invoke(ctx, op, req)
	if err != nil {
		return nil, ToStatus(err)
	}
	return resp, nil
}

// maxBatch is the plugin's own declared cap for op: the host never sends
// more, and a plugin must not silently split or truncate.
func (s *Server) maxBatch(op model.Operation) int {
	for _, ol := range s.desc.GetLimits().GetOperations() {
		if ol.GetOperation() == op {
			return int(ol.GetMaxBatch())
		}
	}
	return 0
}

func capabilityName(c model.Capability) string {
	switch c {
	case model.Capability_CAPABILITY_COLLECT:
		return "collect"
	case model.Capability_CAPABILITY_PUBLISH:
		return "publish"
	}
	return c.String()
}

// shutdownMethod is go-plugin's controller call that asks a plugin to
// stop; seeing it go by cancels the calls in flight (as
// terraform-plugin-go cancels its registered contexts on StopProvider).
const shutdownMethod = "/plugin.GRPCController/Shutdown"

func (s *Server) interceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if info.FullMethod == shutdownMethod {
		s.Stop()
	}
	return next(ctx, req)
}

// serviceDesc builds the Platform service from the operation table, so
// that a new operation needs no server method of its own.
func (s *Server) serviceDesc() *grpc.ServiceDesc {
	sd := &grpc.ServiceDesc{
		ServiceName: ServiceName,
		HandlerType: (*any)(nil),
		Metadata:    pluginv1.Platform_ServiceDesc.Metadata,
		Methods: []grpc.MethodDesc{
			unary("Describe", func() proto.Message { return new(pluginv1.DescribeRequest) },
				func(context.Context, proto.Message) (proto.Message, error) { return s.desc, nil }),
			unary("Configure", func() proto.Message { return new(pluginv1.ConfigureRequest) },
				func(ctx context.Context, req proto.Message) (proto.Message, error) {
					if err := s.Configure(ctx, req.(*pluginv1.ConfigureRequest).GetConfigJson()); err != nil {
						return nil, err
					}
					return &pluginv1.ConfigureResponse{}, nil
				}),
		},
	}
	for _, op := range model.Operations() {
		sd.Methods = append(sd.Methods, unary(op.Method, op.NewRequest,
			func(ctx context.Context, req proto.Message) (proto.Message, error) { return s.Invoke(ctx, op, req) }))
	}
	return sd
}

func unary(method string, newReq func() proto.Message, call func(context.Context, proto.Message) (proto.Message, error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: method,
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			req := newReq()
			if err := dec(req); err != nil {
				return nil, err
			}
			run := func(ctx context.Context, req any) (any, error) { return call(ctx, req.(proto.Message)) }
			if interceptor == nil {
				return run(ctx, req)
			}
			return interceptor(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: FullMethod(method)}, run)
		},
	}
}

// grpcServer is go-plugin's default server with the interceptor that
// notices Shutdown.
func (s *Server) grpcServer(opts []grpc.ServerOption) *grpc.Server {
	return plugin.DefaultGRPCServer(append(opts, grpc.ChainUnaryInterceptor(s.interceptor)))
}

// Serve runs s as a plugin process and returns when the host is done with
// it. logOut receives go-plugin's own log lines as JSON.
func Serve(s *Server, logOut io.Writer) {
	defer s.Stop()
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(s),
		GRPCServer:       s.grpcServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "plugin", Level: hclog.Info, Output: logOut, JSONFormat: true,
		}),
	})
}

// ServeTest serves s in-process for tests, the way go-plugin's reattach
// support intends: it returns the reattach config a host uses instead of
// launching a binary, and stops serving when ctx ends.
func ServeTest(ctx context.Context, s *Server) (*plugin.ReattachConfig, <-chan struct{}, error) {
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	context.AfterFunc(ctx, s.Stop)
	go plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(s),
		GRPCServer:       s.grpcServer,
		Logger:           hclog.NewNullLogger(),
		Test:             &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed},
	})
	select {
	case rc := <-reattach:
		return rc, closed, nil
	case <-time.After(10 * time.Second):
		return nil, nil, fmt.Errorf("plugin did not start serving within 10s")
	}
}
