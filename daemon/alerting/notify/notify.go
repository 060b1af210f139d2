package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one notification: the alerts of one group (or several groups
// merged to stay within a robot's rate limit), with its title and text
// already rendered from the receiver's templates.
type Message struct {
	Receiver string `json:"receiver"`
	// Status is "firing" while any alert fires, else "resolved".
	Status            string            `json:"status"`
	GroupKey          string            `json:"groupKey"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
	// Title and Text are rendered (Markdown for the robots, plain text for
	// email, which also gets HTML).
	Title string `json:"-"`
	Text  string `json:"-"`
}

// Alert is one alert of a Message.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
	// Value is the rule's value when it was last evaluated.
	Value float64 `json:"value"`
}

// Answer is what the platform said: its HTTP status and body, or the SMTP
// server's reply.
type Answer struct {
	Status int         `json:"status,omitempty"`
	Body   string      `json:"body"`
	Header http.Header `json:"-"`
}

// Notifier sends messages to one receiver.
type Notifier interface {
	Notify(ctx context.Context, m *Message) (Answer, error)
}

// Limited is a Notifier whose platform documents rate limits: at most N
// messages in any window of Per, for each limit. The dispatcher never
// exceeds them and merges messages rather than drop them.
type Limited interface {
	Limits() []Limit
}

// Limit is N messages per window of Per.
type Limit struct {
	N   int
	Per time.Duration
}

// Error is a failed notification. Retryable says whether sending again may
// succeed (a timeout, a 5xx, the robot's rate limit); a bad key or a
// refused signature will not.
type Error struct {
	Retryable bool
	// Code is the platform's error code (errcode, code, HTTP or SMTP
	// status) when it gave one.
	Code    int
	Message string
	// RetryAfter is how long the platform asked to wait, or 0.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Retryable {
		kind = "retryable"
	}
	if e.Code != 0 {
		return fmt.Sprintf("%s error %d: %s", kind, e.Code, e.Message)
	}
	return kind + " error: " + e.Message
}

// Retryable says whether err is worth retrying: a *Error that says so, or
// any error that is not a *Error (a network failure).
func Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

// Truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "\n…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// Do sends req with c (a client with a 15 s timeout when nil) and returns
// the platform's answer, its body cut at 64 KiB; err is a transport error.
func Do(c *http.Client, req *http.Request) (Answer, error) {
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	ans := Answer{Status: resp.StatusCode, Body: string(raw), Header: resp.Header}
	return ans, err
}

// PostJSON posts v as JSON to url with c (see Do) and returns the
// platform's answer. header, when not nil, adds the headers that depend on
// the body, such as a signature. A body that does not marshal or a URL
// that does not parse is a permanent Error; a transport failure is
// returned as it came, and is retryable. Errors name the URL only by its
// scheme and host (see Redact).
func PostJSON(ctx context.Context, c *http.Client, url string, v any, header func(h http.Header, body []byte)) (Answer, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Answer{}, &Error{Message: "message does not marshal: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Answer{}, &Error{Message: Redact(err).Error()}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if header != nil {
		header(req.Header, body)
	}
	ans, err := Do(c, req)
	return ans, Redact(err)
}

// Redact returns err with the URL of its *url.Error (what net/http and
// net/url return) cut to the scheme and host. The rest of a receiver's URL
// is its credential: DingTalk's access_token and sign, WeCom's key,
// Feishu's hook token in the path, a webhook's user:password or query
// token; and a notifier's error is logged and shown by the alerts API.
// An error that is the *url.Error itself keeps its type, so timeouts and
// cancellation still read as such.
func Redact(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	hidden := RedactURL(ue.URL)
	if error(ue) == err {
		c := *ue
		c.URL = hidden
		return &c
	}
	return &Error{Retryable: Retryable(err), Message: strings.ReplaceAll(err.Error(), ue.URL, hidden)}
}

// RedactURL is raw with only its scheme and host left, "…" standing for
// the rest.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "…"
	}
	out := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		out += "/…"
	}
	return out
}
