package command

import (
	"context"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

type sinkList []client.EventSink

func (s sinkList) EventSinks(context.Context) ([]client.EventSink, error) { return s, nil }

func TestEvents(t *testing.T) {
	oldest := time.Now().Add(-90 * time.Second)
	next := time.Now().Add(time.Minute)
	sinks := sinkList{
		{Name: "erp", URL: "https://erp.example/hooks", Events: []string{"job.finished"}, Configured: true, Pending: 12,
			Oldest: &oldest, Failures: 3, NextAttempt: &next, LastError: "HTTP 503 Service Unavailable"},
		{Name: "audit", URL: "https://audit.example", Configured: true},
		{Name: "old", Pending: 2, Oldest: &oldest},
	}
	t.Setenv(client.EnvAddress, apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Events: sinks}).URL)
	t.Setenv(client.EnvToken, "")
	r := runCLI(t, "", "events")
	r.want(t, 0)
	hasLine(t, r.stdout, "SINK | URL | EVENTS | PENDING | OLDEST | FAILURES | NEXT ATTEMPT | LAST ERROR")
	hasLine(t, r.stdout, "erp | https://erp.example/hooks | job.finished | 12 | 1m30s ago | 3 | "+clock(next)+" | HTTP 503 Service Unavailable")
	hasLine(t, r.stdout, "audit | https://audit.example | all | 0")
	hasLine(t, r.stdout, "old | (removed) | 2 | 1m30s ago")
	var got []client.EventSink
	r = runCLI(t, "", "events", "-json")
	r.want(t, 0)
	r.decodeJSON(t, &got)
	if len(got) != 3 || got[0].Pending != 12 || got[2].Configured {
		t.Errorf("events -json = %+v", got)
	}
}
