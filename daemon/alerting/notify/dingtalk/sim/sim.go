package sim

import (
	"crypto/hmac"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk"
	"github.com/marketsync/marketsync/daemon/alerting/notify/robotsim"
)

// Server is the simulated robot service. Robots are keyed by
// access_token.
type Server struct {
	robotsim.Log[dingtalk.Payload]
	secrets map[string]string
	window  robotsim.Window
}

// New returns a server with no robots.
func New() *Server {
	return &Server{secrets: map[string]string{},
		window: robotsim.Window{N: dingtalk.RateLimit, Per: dingtalk.RatePer, Ban: dingtalk.BanPenalty}}
}

// AddRobot adds a robot with its access token and signing secret.
func (s *Server) AddRobot(token, secret string) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.secrets[token] = secret
}

// MaxPerMinute is the most messages one robot accepted within any sliding
// minute.
func (s *Server) MaxPerMinute(token string) int { return s.MaxIn(token, time.Minute) }

func (s *Server) answer(w http.ResponseWriter, code int, msg string) {
	if code != 0 {
		s.Refuse(code)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(dingtalk.Answer{ErrCode: code, ErrMsg: msg})
}

// ServeHTTP handles POST /robot/send?access_token=…&timestamp=…&sign=….
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	now := time.Now()
	q := r.URL.Query()
	token := q.Get("access_token")
	secret, ok := s.secrets[token]
	if r.Method != http.MethodPost || r.URL.Path != "/robot/send" || !ok {
		s.answer(w, dingtalk.CodeTokenMissing, "token is not exist")
		return
	}
	ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil || now.Sub(time.UnixMilli(ms)).Abs() > time.Hour {
		s.answer(w, dingtalk.CodeSecurity, "timestamp is invalid")
		return
	}
	if !hmac.Equal([]byte(q.Get("sign")), []byte(dingtalk.Sign(ms, secret))) {
		s.answer(w, dingtalk.CodeSecurity, "sign not match")
		return
	}
	if !s.window.Allow(token, now) {
		s.answer(w, dingtalk.CodeTooFast, "send too fast, exceed 20 times per minute")
		return
	}
	var p dingtalk.Payload
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.MsgType != "markdown" || p.Markdown.Title == "" || p.Markdown.Text == "" {
		s.answer(w, 40035, "缺少参数 json")
		return
	}
	if code, ok := s.NextFault(); ok {
		s.answer(w, code, "injected fault")
		return
	}
	s.Accept(now, token, p)
	s.answer(w, 0, "ok")
}
