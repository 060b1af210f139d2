package rpc

import (
	"context"
	"errors"
	"testing"

	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// blocking is a Handler whose calls wait for their context.
type blocking struct {
	entered chan struct{}
}

func (b blocking) Describe() (*model.Description, error) {
	return &model.Description{Name: "blocking", Capabilities: []model.Capability{model.Capability_CAPABILITY_COLLECT}}, nil
}
func (blocking) Configure(context.Context, []byte) error { return nil }
func (b blocking) Invoke(ctx context.Context, _ *model.OperationSpec, _ proto.Message) (proto.Message, error) {
	close(b.entered)
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestShutdownCancelsCallsInFlight: the controller's Shutdown passing the
// interceptor cancels every call in flight, before go-plugin stops the
// server.
func TestShutdownCancelsCallsInFlight(t *testing.T) {
	h := blocking{entered: make(chan struct{})}
	s, err := NewServer(h)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := model.LookupOperation(model.Operation_OPERATION_FETCH_PRODUCTS)
	done := make(chan error, 1)
	go func() {
		_, err := s.Invoke(context.Background(), op, &model.FetchProductsRequest{Ids: []string{"a"}})
		done <- err
	}()
	<-h.entered
	shutdown := func(context.Context, any) (any, error) { return nil, nil }
	if _, err := s.interceptor(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: shutdownMethod}, shutdown); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(FromStatus(err), context.Canceled) {
		t.Errorf("call in flight ended with %v, want it cancelled", err)
	}
}
