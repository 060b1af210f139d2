package agent_test

import (
	"testing"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/api/apitest"
)

// TestContract runs the API's contract against a real agent with the
// sandbox plugin; the API's tests run it against the fake backend, so the
// fake cannot drift from the agent.
func TestContract(t *testing.T) {
	a := agenttest.New(t, bin, `platform "sandbox" "`+apitest.ContractPlatform+`" {}`)
	apitest.RunContract(t, "http://"+a.Addr().String())
}
