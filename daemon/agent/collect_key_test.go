package agent_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
)

// A collect request sent again with its idempotency key, also after a
// restart, answers with the job it started; the same key with another
// request is refused, naming that job; without a key every request starts
// a job.
func TestCollectWithAnIdempotencyKeyStartsOneJob(t *testing.T) {
	hcl := "data_dir = \"" + t.TempDir() + "\"\nplatform \"sandbox\" \"src\" {}\n"
	a := agenttest.New(t, bin, hcl)
	ctx := context.Background()
	req := client.CollectRequest{Platform: "src", IDs: ids(100001, 5), IdempotencyKey: "erp-order-7731"}
	first, err := a.Client.Jobs().Collect(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.Client.Jobs().Collect(ctx, req)
	if err != nil || again.ID != first.ID {
		t.Fatalf("the same request and key again: %+v, %v; want job %s", again, err, first.ID)
	}
	other := req
	other.IDs = ids(100010, 5)
	_, err = a.Client.Jobs().Collect(ctx, other)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnprocessableEntity || ae.Code != client.CodeIdempotencyKeyReused {
		t.Fatalf("the key with another request: %v", err)
	}
	req.IdempotencyKey = ""
	if plain, err := a.Client.Jobs().Collect(ctx, req); err != nil || plain.ID == first.ID {
		t.Fatalf("without a key: %+v, %v; want a new job", plain, err)
	}

	a.Stop(t)
	b, err := agenttest.Start(t, agenttest.Config(t, bin, hcl))
	if err != nil {
		t.Fatal(err)
	}
	req.IdempotencyKey = "erp-order-7731"
	if after, err := b.Client.Jobs().Collect(ctx, req); err != nil || after.ID != first.ID {
		t.Fatalf("the request and key after a restart: %+v, %v; want job %s", after, err, first.ID)
	}
}
