package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

func TestAlertsNotEnabled(t *testing.T) {
	srv, _ := newServer(t)
	for _, path := range []string{"/v1/alerts", "/v1/alerts/history", "/v1/silences"} {
		get(t, srv, path).wantError(t, http.StatusNotFound, client.CodeNotFound, "alerting is not enabled")
	}
	call(t, srv, http.MethodPost, "/v1/silences", strings.NewReader(`{}`), nil).
		wantError(t, http.StatusNotFound, client.CodeNotFound, "alerting is not enabled")
}

// emptyAlerts answers with nothing and records silences it is given.
type emptyAlerts struct{ added []client.SilenceRequest }

func (e *emptyAlerts) Alerts(context.Context) (*client.Alerts, error) { return &client.Alerts{}, nil }
func (e *emptyAlerts) AlertHistory(context.Context, int) ([]client.AlertEvent, error) {
	return nil, nil
}
func (e *emptyAlerts) Silences(context.Context) ([]client.Silence, error) { return nil, nil }
func (e *emptyAlerts) AddSilence(_ context.Context, r client.SilenceRequest) (*client.Silence, error) {
	e.added = append(e.added, r)
	return &client.Silence{ID: "s1", Matchers: r.Matchers}, nil
}
func (e *emptyAlerts) ExpireSilence(context.Context, string) (*client.Silence, error) {
	return nil, api.NotFound(client.CodeSilenceNotFound, "no such silence")
}
func (e *emptyAlerts) TestReceiver(context.Context, string) (*client.ReceiverTest, error) {
	return nil, api.NotFound(client.CodeReceiverNotFound, "no such receiver")
}

func TestSilenceRequests(t *testing.T) {
	fake := &emptyAlerts{}
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Alerts: fake})
	// Empty lists are [], not null.
	if body := string(get(t, srv, "/v1/alerts").body); !strings.Contains(body, `"alerts":[]`) || !strings.Contains(body, `"receivers":[]`) {
		t.Errorf("GET /v1/alerts = %s", body)
	}
	if body := string(get(t, srv, "/v1/silences").body); strings.TrimSpace(body) != "[]" {
		t.Errorf("GET /v1/silences = %s", body)
	}
	get(t, srv, "/v1/alerts/history?limit=0").wantError(t, http.StatusBadRequest, client.CodeInvalidQuery, "limit")
	for body, msg := range map[string]string{
		`{"author": "a", "comment": "c", "duration": "1h"}`:       `"matchers" is empty`,
		`{"matchers": ["a=b"], "comment": "c", "duration": "1h"}`: `"author" and "comment" are required`,
		`{"matchers": ["a=b"], "author": "a", "comment": "c"}`:    `give "ends_at" or "duration"`,
	} {
		call(t, srv, http.MethodPost, "/v1/silences", strings.NewReader(body), nil).wantError(t, http.StatusBadRequest, client.CodeInvalidSilence, msg)
	}
	if len(fake.added) != 0 {
		t.Errorf("the source got %d bad silences", len(fake.added))
	}
	r := call(t, srv, http.MethodPost, "/v1/silences", strings.NewReader(`{"matchers": ["a=b"], "author": "a", "comment": "c", "duration": "1h"}`), nil)
	if r.status != http.StatusCreated || len(fake.added) != 1 {
		t.Errorf("create: %d %s", r.status, r.body)
	}
	call(t, srv, http.MethodPost, "/v1/silences/x/expire", nil, nil).wantError(t, http.StatusNotFound, client.CodeSilenceNotFound, "no such silence")
	call(t, srv, http.MethodPost, "/v1/receivers/x/test", nil, nil).wantError(t, http.StatusNotFound, client.CodeReceiverNotFound, "no such receiver")
}
