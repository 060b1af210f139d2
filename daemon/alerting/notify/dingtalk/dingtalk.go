package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
)

// The documented rate limit of one robot.
const (
	RateLimit  = 20
	RatePer    = time.Minute
	BanPenalty = 10 * time.Minute
)

// Documented errcodes the notifier tells apart.
const (
	CodeOK = 0
	// CodeSecurity: the signature does not match, the timestamp is more
	// than an hour off, a keyword is missing or the IP is not allowed.
	CodeSecurity = 310000
	// CodeTokenMissing: the access_token names no robot.
	CodeTokenMissing = 300001
	// CodeTooFast: the robot passed 20 messages a minute and is limited.
	CodeTooFast = 410100
	// CodeBusy: the system is busy; try again.
	CodeBusy = -1
)

// Notifier posts to one robot.
type Notifier struct {
	URL    string
	Secret string
	// AtMobiles and AtUserIDs are @-mentioned in every firing message;
	// AtAll mentions everyone.
	AtMobiles []string
	AtUserIDs []string
	AtAll     bool
	Client    *http.Client
}

// Limits are the robot's documented 20 messages a minute.
func (n *Notifier) Limits() []notify.Limit { return []notify.Limit{{N: RateLimit, Per: RatePer}} }

// Sign returns the sign parameter for timestamp ms and secret.
func Sign(ms int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Payload is a markdown message with its mentions.
type Payload struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	At struct {
		AtMobiles []string `json:"atMobiles,omitempty"`
		AtUserIDs []string `json:"atUserIds,omitempty"`
		IsAtAll   bool     `json:"isAtAll"`
	} `json:"at"`
}

// Answer is the robot's reply.
type Answer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// maxText bounds the markdown text: DingTalk's documentation gives no
// figure for a custom robot, and its enterprise robot takes 15,000 bytes
// of parameters, so alerts past that are summarised by count.
const maxText = 15000

// Notify sends m.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (notify.Answer, error) {
	var p Payload
	p.MsgType = "markdown"
	p.Markdown.Title = m.Title
	text := m.Text
	if m.Status == "firing" {
		// DingTalk shows an @ only when the mention is also in the text.
		for _, mob := range n.AtMobiles {
			text += " @" + mob
		}
		for _, id := range n.AtUserIDs {
			text += " @" + id
		}
		p.At.AtMobiles, p.At.AtUserIDs, p.At.IsAtAll = n.AtMobiles, n.AtUserIDs, n.AtAll
	}
	p.Markdown.Text = notify.Truncate(text, maxText)
	u, err := url.Parse(n.URL)
	if err != nil {
		return notify.Answer{}, &notify.Error{Message: "bad webhook url: " + notify.Redact(err).Error()}
	}
	ms := time.Now().UnixMilli()
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ms, 10))
	q.Set("sign", Sign(ms, n.Secret))
	u.RawQuery = q.Encode()
	ans, err := notify.PostJSON(ctx, n.Client, u.String(), p, nil)
	return ReadAnswer(ans, err, map[int]time.Duration{CodeTooFast: BanPenalty, CodeBusy: 0})
}

// ReadAnswer reads an {"errcode", "errmsg"} answer in HTTP 200, the
// form DingTalk's and WeCom's robots share. retryable maps the errcodes
// worth retrying to how long to wait first; every other non-zero errcode
// is permanent.
func ReadAnswer(ans notify.Answer, err error, retryable map[int]time.Duration) (notify.Answer, error) {
	if err != nil {
		return ans, err
	}
	if ans.Status != http.StatusOK {
		return ans, &notify.Error{Retryable: ans.Status >= 500 || ans.Status == http.StatusTooManyRequests, Code: ans.Status, Message: http.StatusText(ans.Status)}
	}
	var a Answer
	if err := json.Unmarshal([]byte(ans.Body), &a); err != nil {
		return ans, &notify.Error{Retryable: true, Message: fmt.Sprintf("answer is not JSON: %q", notify.Truncate(ans.Body, 200))}
	}
	if a.ErrCode == CodeOK {
		return ans, nil
	}
	if wait, ok := retryable[a.ErrCode]; ok {
		return ans, &notify.Error{Retryable: true, Code: a.ErrCode, Message: a.ErrMsg, RetryAfter: wait}
	}
	// DingTalk's 310000 (security), 300001 (no robot), 40035 (bad JSON),
	// WeCom's 93000 (bad key), 40058 (too long) fail the same way every
	// time.
	return ans, &notify.Error{Code: a.ErrCode, Message: a.ErrMsg}
}
