package platform

import (
	"context"
	"fmt"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Conn is what the actor needs of a running plugin; *host.Plugin is one,
// and tests use fakes.
type Conn interface {
	Description() sdk.Description
	Configure(ctx context.Context, configJSON []byte) error
	// Invoke makes the operation whose request req is (a request message
	// of sdk/model) and returns its checked response; a whole-call failure
	// is a *model.Error.
	Invoke(ctx context.Context, req proto.Message) (proto.Message, error)
	// Ping checks the plugin process answers.
	Ping() error
	// Exited reports whether the plugin process has ended.
	Exited() bool
	// Kill stops the plugin process.
	Kill()
}

// Launcher starts a new plugin process and returns it unconfigured.
type Launcher func(ctx context.Context) (Conn, error)

// NewCall returns a Call carrying req, a request message of sdk/model.
func NewCall(req proto.Message) *Call {
	c := &Call{}
	m := c.ProtoReflect()
	if fd := oneofField(m, "request", req); fd != nil {
		m.Set(fd, protoreflect.ValueOfMessage(req.ProtoReflect()))
	}
	return c
}

// RequestMessage returns the request the call carries, nil when none.
func (c *Call) RequestMessage() proto.Message { return oneofValue(c.ProtoReflect(), "request") }

// Response returns the successful answer the result carries, nil when the
// call failed.
func (r *CallResult) ResponseMessage() proto.Message {
	if r == nil {
		return nil
	}
	return oneofValue(r.ProtoReflect(), "response")
}

// Operation returns the spec of the operation a call asks for, and its
// item count.
func (c *Call) Operation() (*model.OperationSpec, int) {
	req := c.RequestMessage()
	op, ok := model.OperationOf(req)
	if !ok {
		return nil, 0
	}
	return op, op.Items(req)
}

// invoke makes the plugin call a Call asks for and wraps the answer in a
// CallResult. Calls and results hold each operation's messages in a oneof
// whose members are found by type, so the actor has no code of its own
// per operation.
func invoke(ctx context.Context, conn Conn, c *Call) (*CallResult, error) {
	req := c.RequestMessage()
	if req == nil {
		return nil, model.Invalid(model.CodeNoRequest, "call carries no request")
	}
	resp, err := conn.Invoke(ctx, req)
	if err != nil {
		return nil, err
	}
	res := &CallResult{}
	m := res.ProtoReflect()
	fd := oneofField(m, "response", resp)
	if fd == nil {
		return nil, model.Invalid(model.CodeNoRequest, fmt.Sprintf("a call result cannot carry %T", resp))
	}
	m.Set(fd, protoreflect.ValueOfMessage(resp.ProtoReflect()))
	return res, nil
}

// oneofField returns the member of m's oneof whose type is v's.
func oneofField(m protoreflect.Message, oneof protoreflect.Name, v proto.Message) protoreflect.FieldDescriptor {
	if v == nil {
		return nil
	}
	name := v.ProtoReflect().Descriptor().FullName()
	fields := m.Descriptor().Oneofs().ByName(oneof).Fields()
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Message() != nil && fd.Message().FullName() == name {
			return fd
		}
	}
	return nil
}

func oneofValue(m protoreflect.Message, oneof protoreflect.Name) proto.Message {
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName(oneof))
	if fd == nil {
		return nil
	}
	return m.Get(fd).Message().Interface()
}

// quota returns the quota feedback of a successful answer, if any.
func (r *CallResult) quota() *model.Quota {
	if resp := r.ResponseMessage(); resp != nil {
		return model.QuotaOf(resp)
	}
	return nil
}

// Err returns the call's failure, or nil.
func (r *CallResult) Err() *model.Error { return r.GetError() }
