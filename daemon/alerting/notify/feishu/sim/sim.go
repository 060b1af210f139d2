package sim

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify/feishu"
	"github.com/marketsync/marketsync/daemon/alerting/notify/robotsim"
)

// Server is the simulated bot service; bots are keyed by the hook token,
// the last element of the webhook's path.
type Server struct {
	robotsim.Log[feishu.Payload]
	secrets           map[string]string
	minute, perSecond robotsim.Window
}

// New returns a server with no bots.
func New() *Server {
	return &Server{secrets: map[string]string{},
		minute:    robotsim.Window{N: feishu.PerMinute, Per: time.Minute},
		perSecond: robotsim.Window{N: feishu.PerSecond, Per: time.Second}}
}

// AddBot adds a bot with its hook token and signing secret.
func (s *Server) AddBot(token, secret string) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.secrets[token] = secret
}

func (s *Server) answer(w http.ResponseWriter, status, code int, msg string) {
	if code != 0 {
		s.Refuse(code)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(feishu.Answer{Code: code, Msg: msg})
}

// ServeHTTP handles POST /open-apis/bot/v2/hook/<token>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	now := time.Now()
	token, ok := strings.CutPrefix(r.URL.Path, "/open-apis/bot/v2/hook/")
	secret, known := s.secrets[token]
	if r.Method != http.MethodPost || !ok || !known {
		s.answer(w, http.StatusNotFound, 19001, "param invalid: incoming webhook access token invalid")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, feishu.MaxBody+1))
	if len(body) > feishu.MaxBody {
		s.answer(w, http.StatusBadRequest, feishu.CodeBadReq, "request body too large")
		return
	}
	var p feishu.Payload
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&p); err != nil {
		s.answer(w, http.StatusBadRequest, feishu.CodeBadReq, "Bad Request")
		return
	}
	ts, err := strconv.ParseInt(p.Timestamp, 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > time.Hour || !hmac.Equal([]byte(p.Sign), []byte(feishu.Sign(ts, secret))) {
		s.answer(w, http.StatusOK, feishu.CodeBadSign, "sign match fail or timestamp is not within one hour from current time")
		return
	}
	if !s.perSecond.Allow(token, now) || !s.minute.Allow(token, now) {
		s.answer(w, http.StatusOK, feishu.CodeTooFast, "frequency limited")
		return
	}
	if p.MsgType != "interactive" || len(p.Card.Elements) == 0 || p.Card.Header.Title.Content == "" {
		s.answer(w, http.StatusBadRequest, feishu.CodeBadReq, "Bad Request")
		return
	}
	if code, ok := s.NextFault(); ok {
		s.answer(w, http.StatusOK, code, "injected fault")
		return
	}
	s.Accept(now, token, p)
	s.answer(w, http.StatusOK, 0, "success")
}
