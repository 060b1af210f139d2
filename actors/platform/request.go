package platform

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// replyGrace is how long past the caller's deadline a request waits for
// the actor's answer: the actor itself gives up at the deadline, and the
// grace lets that answer (with its error) arrive instead of a bare
// timeout.
const replyGrace = 5 * time.Second

// Request sends c to the platform actor at pid and waits for its result,
// from outside any actor (the HTTP API, tests). ctx's deadline becomes the
// call's deadline, so the actor never retries past it.
func Request(ctx context.Context, root *actor.RootContext, pid *actor.PID, c *Call) (*CallResult, error) {
	timeout := 24 * time.Hour
	if dl, ok := ctx.Deadline(); ok {
		c.Deadline = timestamppb.New(dl)
		timeout = time.Until(dl) + replyGrace
	}
	f := root.RequestFuture(pid, c, timeout)
	if ctx.Done() == nil {
		// Nothing can cancel the wait: block on the future itself rather
		// than hand it to another goroutine.
		msg, err := f.Result()
		return callResult(pid, msg, err)
	}
	type answer struct {
		msg any
		err error
	}
	done := make(chan answer, 1)
	go func() {
		msg, err := f.Result()
		done <- answer{msg, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case ans := <-done:
		return callResult(pid, ans.msg, ans.err)
	}
}

func callResult(pid *actor.PID, msg any, err error) (*CallResult, error) {
	if err != nil {
		return nil, fmt.Errorf("platform actor %s: %w", pid.GetId(), err)
	}
	res, ok := msg.(*CallResult)
	if !ok {
		return nil, fmt.Errorf("platform actor %s answered %T", pid.GetId(), msg)
	}
	return res, nil
}

// GetStatus asks the platform actor at pid for its status.
func GetStatus(ctx context.Context, root *actor.RootContext, pid *actor.PID) (*Status, error) {
	timeout := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	msg, err := root.RequestFuture(pid, &StatusRequest{}, timeout).Result()
	if err != nil {
		return nil, fmt.Errorf("platform actor %s: %w", pid.GetId(), err)
	}
	st, ok := msg.(*Status)
	if !ok {
		return nil, fmt.Errorf("platform actor %s answered %T", pid.GetId(), msg)
	}
	return st, nil
}
