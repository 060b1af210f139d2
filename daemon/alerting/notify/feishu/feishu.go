package feishu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
)

// Documented limits and codes.
const (
	MaxBody       = 20 << 10
	CodeBadSign   = 19021
	CodeBadReq    = 9499
	CodeTooFast   = 11232
	PerMinute     = 100
	PerSecond     = 5
	maxCardText   = MaxBody - 2<<10 // room for the card's JSON around the text
	timestampSkew = time.Hour
)

// Sign returns the sign field for timestamp (seconds) and secret.
func Sign(timestamp int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(timestamp, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Payload is the request body: the signature and an interactive card.
type Payload struct {
	Timestamp string `json:"timestamp"`
	Sign      string `json:"sign"`
	MsgType   string `json:"msg_type"`
	Card      Card   `json:"card"`
}

// Card is a card with a title and one markdown element.
type Card struct {
	Header struct {
		Title    Text   `json:"title"`
		Template string `json:"template,omitempty"`
	} `json:"header"`
	Elements []Element `json:"elements"`
}

// Text is a plain_text field.
type Text struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// Element is a markdown element.
type Element struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// Answer is the bot's reply.
type Answer struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

// Notifier posts to one bot.
type Notifier struct {
	URL    string
	Secret string
	Client *http.Client
}

// Limits are the bot's documented 100 messages a minute and 5 a second.
func (n *Notifier) Limits() []notify.Limit {
	return []notify.Limit{{N: PerMinute, Per: time.Minute}, {N: PerSecond, Per: time.Second}}
}

// Notify sends m as a card, red while firing and green once resolved.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (notify.Answer, error) {
	ts := time.Now().Unix()
	p := Payload{Timestamp: strconv.FormatInt(ts, 10), Sign: Sign(ts, n.Secret), MsgType: "interactive"}
	p.Card.Header.Title = Text{Tag: "plain_text", Content: m.Title}
	p.Card.Header.Template = "red"
	if m.Status != "firing" {
		p.Card.Header.Template = "green"
	}
	p.Card.Elements = []Element{{Tag: "markdown", Content: notify.Truncate(m.Text, maxCardText)}}
	ans, err := notify.PostJSON(ctx, n.Client, n.URL, p, nil)
	if err != nil {
		return ans, err
	}
	var a Answer
	if err := json.Unmarshal([]byte(ans.Body), &a); err != nil {
		return ans, &notify.Error{Retryable: ans.Status >= 500, Code: ans.Status, Message: fmt.Sprintf("answer is not JSON: %q", notify.Truncate(ans.Body, 200))}
	}
	switch {
	case a.Code == 0 && ans.Status == http.StatusOK:
		return ans, nil
	case a.Code == CodeTooFast || ans.Status == http.StatusTooManyRequests:
		return ans, &notify.Error{Retryable: true, Code: a.Code, Message: a.Msg, RetryAfter: time.Second}
	case ans.Status >= 500:
		return ans, &notify.Error{Retryable: true, Code: a.Code, Message: a.Msg}
	}
	return ans, &notify.Error{Code: a.Code, Message: a.Msg}
}
