package agent_test

import (
	"context"
	"testing"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
)

// TestPlatformsShowTheBlockTimeout checks that GET /v1/platforms shows the
// platform block's timeout (one attempt of a call) beside the plugin's own
// timeout setting in its config (one HTTP request), which the sandbox
// does not have; a plugin field of that name shows in Config as any other.
func TestPlatformsShowTheBlockTimeout(t *testing.T) {
	a := agenttest.New(t, bin, `
platform "sandbox" "src" {
  timeout = "12s"
  config {
    latency = "1ms"
  }
}`)
	list, err := a.Client.Platforms().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Timeout != "12s" || list[0].Config["latency"] != "1ms" {
		t.Errorf("platforms = %+v, want timeout 12s and the plugin's config", list)
	}
}
