// Package sim is a DingTalk custom robot for tests: it checks the
// signature and the timestamp as the robot does, enforces the documented
// 20 messages a minute (and the 10-minute limit that follows), answers
// with the documented errcodes in HTTP 200 answers, and records every
// message it accepted.
package sim

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk"
)

// Message is one accepted message and when it arrived.
type Message struct {
	At      time.Time
	Token   string
	Payload dingtalk.Payload
}

// Server is the simulated robot service. Robots are keyed by
// access_token.
type Server struct {
	mu       sync.Mutex
	secrets  map[string]string
	accepted []Message
	window   map[string][]time.Time // per token, arrivals in the last minute
	banned   map[string]time.Time   // per token, limited until
	refused  map[int]int            // answers by errcode
	faults   []int                  // errcodes to answer next, in order
}

// New returns a server with no robots.
func New() *Server {
	return &Server{secrets: map[string]string{}, window: map[string][]time.Time{}, banned: map[string]time.Time{}, refused: map[int]int{}}
}

// AddRobot adds a robot with its access token and signing secret.
func (s *Server) AddRobot(token, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[token] = secret
}

// FailNext makes the next len(codes) valid messages fail with the codes.
func (s *Server) FailNext(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, codes...)
}

// Messages returns the accepted messages.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.accepted...)
}

// Refused returns how many messages were answered with each non-zero
// errcode.
func (s *Server) Refused() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]int{}
	for k, v := range s.refused {
		out[k] = v
	}
	return out
}

// MaxPerMinute is the most messages one robot accepted within any sliding
// minute.
func (s *Server) MaxPerMinute(token string) int {
	msgs := s.Messages()
	best := 0
	for i, a := range msgs {
		n := 0
		for _, b := range msgs[i:] {
			if b.Token == token && a.Token == token && b.At.Sub(a.At) < time.Minute {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

func (s *Server) answer(w http.ResponseWriter, code int, msg string) {
	if code != 0 {
		s.refused[code]++
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(dingtalk.Answer{ErrCode: code, ErrMsg: msg})
}

// ServeHTTP handles POST /robot/send?access_token=…&timestamp=…&sign=….
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
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
		s.answer(w, dingtalk.CodeSecurity, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
		return
	}
	if until, ok := s.banned[token]; ok && now.Before(until) {
		s.answer(w, dingtalk.CodeTooFast, "send too fast, exceed 20 times per minute")
		return
	}
	win := s.window[token][:0]
	for _, t := range s.window[token] {
		if now.Sub(t) < dingtalk.RatePer {
			win = append(win, t)
		}
	}
	win = append(win, now)
	s.window[token] = win
	if len(win) > dingtalk.RateLimit {
		s.banned[token] = now.Add(dingtalk.BanPenalty)
		s.answer(w, dingtalk.CodeTooFast, "send too fast, exceed 20 times per minute")
		return
	}
	var p dingtalk.Payload
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.MsgType == "" {
		s.answer(w, 40035, "缺少参数 json")
		return
	}
	if p.MsgType == "markdown" && (p.Markdown.Title == "" || p.Markdown.Text == "") {
		s.answer(w, 40035, fmt.Sprintf("缺少参数 markdown (title %d bytes, text %d bytes)", len(p.Markdown.Title), len(p.Markdown.Text)))
		return
	}
	if len(s.faults) > 0 {
		code := s.faults[0]
		s.faults = s.faults[1:]
		s.answer(w, code, "injected fault")
		return
	}
	s.accepted = append(s.accepted, Message{At: now, Token: token, Payload: p})
	s.answer(w, 0, "ok")
}
