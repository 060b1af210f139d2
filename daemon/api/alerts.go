package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/marketsync/marketsync/daemon/client"
)

// AlertSource serves the alerting routes: GET /v1/alerts,
// /v1/alerts/history and /v1/silences, POST /v1/silences,
// /v1/silences/{id}/expire and /v1/receivers/{name}/test. It is optional:
// without one the routes answer 404. POST routes need the operator scope.
//
//   - AddSilence gets at least one matcher, an author and a comment; a
//     matcher that does not parse or an end before the start is a
//     BadRequest with client.CodeInvalidSilence.
//   - ExpireSilence answers NotFound with client.CodeSilenceNotFound for an
//     unknown id; TestReceiver NotFound with client.CodeReceiverNotFound.
type AlertSource interface {
	Alerts(ctx context.Context) (*client.Alerts, error)
	AlertHistory(ctx context.Context, limit int) ([]client.AlertEvent, error)
	Silences(ctx context.Context) ([]client.Silence, error)
	AddSilence(ctx context.Context, req client.SilenceRequest) (*client.Silence, error)
	ExpireSilence(ctx context.Context, id string) (*client.Silence, error)
	TestReceiver(ctx context.Context, name string) (*client.ReceiverTest, error)
}

// DefaultHistoryLimit is how many state changes GET /v1/alerts/history
// returns unless asked.
const DefaultHistoryLimit = 100

func (s *Server) alertRoutes() {
	s.mux.HandleFunc("GET /v1/alerts", s.wrap(s.listAlerts))
	s.mux.HandleFunc("GET /v1/alerts/history", s.wrap(s.alertHistory))
	s.mux.HandleFunc("GET /v1/silences", s.wrap(s.listSilences))
	s.mux.HandleFunc("POST /v1/silences", s.wrap(s.addSilence))
	s.mux.HandleFunc("POST /v1/silences/{id}/expire", s.wrap(s.expireSilence))
	s.mux.HandleFunc("POST /v1/receivers/{name}/test", s.wrap(s.testReceiver))
}

func (s *Server) noAlerts() error {
	return NotFound(client.CodeNotFound, "alerting is not enabled on this agent")
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.alerts == nil {
		return nil, s.noAlerts()
	}
	out, err := s.alerts.Alerts(r.Context())
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errors.New("alerting returned no alerts")
	}
	out.Alerts, out.Receivers = nonNil(out.Alerts), nonNil(out.Receivers)
	return out, nil
}

func (s *Server) alertHistory(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.alerts == nil {
		return nil, s.noAlerts()
	}
	limit, err := queryInt(r.URL.Query(), "limit", DefaultHistoryLimit, 1, MaxListLimit)
	if err != nil {
		return nil, err
	}
	out, err := s.alerts.AlertHistory(r.Context(), limit)
	if err != nil {
		return nil, err
	}
	return nonNil(out), nil
}

func (s *Server) listSilences(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.alerts == nil {
		return nil, s.noAlerts()
	}
	out, err := s.alerts.Silences(r.Context())
	if err != nil {
		return nil, err
	}
	return nonNil(out), nil
}

const silenceShape = `{"matchers": ["alertname=platform-error-rate", "platform=~taobao.*"], "author": "<who>", "comment": "<why>", "duration": "2h"}`

func (s *Server) addSilence(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.alerts == nil {
		return nil, s.noAlerts()
	}
	var req client.SilenceRequest
	if err := decodeJSON(w, r, &req, silenceShape); err != nil {
		return nil, err
	}
	switch {
	case len(req.Matchers) == 0:
		return nil, BadRequest(client.CodeInvalidSilence, `"matchers" is empty: give at least one, as in `+silenceShape)
	case strings.TrimSpace(req.Author) == "" || strings.TrimSpace(req.Comment) == "":
		return nil, BadRequest(client.CodeInvalidSilence, `"author" and "comment" are required, so that others know who muted what and why`)
	case req.EndsAt.IsZero() && req.Duration == "":
		return nil, BadRequest(client.CodeInvalidSilence, `give "ends_at" or "duration": a silence must end`)
	}
	out, err := s.alerts.AddSilence(r.Context(), req)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Location", "/v1/silences/"+out.ID)
	return withStatus{status: http.StatusCreated, body: out}, nil
}

func (s *Server) expireSilence(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.alerts == nil {
		return nil, s.noAlerts()
	}
	return s.alerts.ExpireSilence(r.Context(), r.PathValue("id"))
}

func (s *Server) testReceiver(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.alerts == nil {
		return nil, s.noAlerts()
	}
	return s.alerts.TestReceiver(r.Context(), r.PathValue("name"))
}
