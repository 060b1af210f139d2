package host

import (
	"context"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/internal/rpc"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

// InProcess returns a Plugin that calls p directly, without a process,
// gRPC or sockets, but through the same server as a launched plugin:
// capability and batch-cap checks, error encoding and the host's checks
// of every answer. It serves tests and benchmarks that run under
// testing/synctest, where real network I/O would stop the fake clock.
// Kill and Exited are no-ops.
func InProcess(ctx context.Context, p sdk.Plugin) (*Plugin, error) {
	h, err := rpc.Adapt(p)
	if err != nil {
		return nil, err
	}
	s, err := rpc.NewServer(h)
	if err != nil {
		return nil, err
	}
	return newPlugin(ctx, nil, serverTransport{s}, new(redactor))
}

// serverTransport calls a server in the same process.
type serverTransport struct{ s *rpc.Server }

func (t serverTransport) describe(context.Context) (*model.Description, error) {
	return t.s.Describe(), nil
}

func (t serverTransport) configure(ctx context.Context, configJSON []byte) error {
	return t.s.Configure(ctx, configJSON)
}

func (t serverTransport) invoke(ctx context.Context, op *model.OperationSpec, req proto.Message) (proto.Message, error) {
	return t.s.Invoke(ctx, op, req)
}
