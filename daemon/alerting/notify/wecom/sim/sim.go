package sim

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk"
	"github.com/marketsync/marketsync/daemon/alerting/notify/robotsim"
	"github.com/marketsync/marketsync/daemon/alerting/notify/wecom"
)

// Server is the simulated robot service; robots are keyed by key.
type Server struct {
	robotsim.Log[wecom.Payload]
	keys   map[string]bool
	window robotsim.Window
}

// New returns a server with the robots of keys.
func New(keys ...string) *Server {
	s := &Server{keys: map[string]bool{}, window: robotsim.Window{N: wecom.RateLimit, Per: time.Minute}}
	for _, k := range keys {
		s.keys[k] = true
	}
	return s
}

func (s *Server) answer(w http.ResponseWriter, code int, msg string) {
	if code != 0 {
		s.Refuse(code)
	}
	_ = json.NewEncoder(w).Encode(dingtalk.Answer{ErrCode: code, ErrMsg: msg})
}

// ServeHTTP handles POST /cgi-bin/webhook/send?key=….
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	key := r.URL.Query().Get("key")
	if r.Method != http.MethodPost || r.URL.Path != "/cgi-bin/webhook/send" || !s.keys[key] {
		s.answer(w, wecom.CodeBadKey, "invalid webhook url")
		return
	}
	if !s.window.Allow(key, time.Now()) {
		s.answer(w, wecom.CodeTooFast, "api freq out of limit")
		return
	}
	var p wecom.Payload
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.MsgType != "markdown" {
		s.answer(w, 40008, "invalid message type")
		return
	}
	if len(p.Markdown.Content) > wecom.MaxContent {
		s.answer(w, wecom.CodeBadLength, "markdown.content exceed max length 4096")
		return
	}
	if code, ok := s.NextFault(); ok {
		s.answer(w, code, "injected fault")
		return
	}
	s.Accept(time.Now(), key, p)
	s.answer(w, 0, "ok")
}
