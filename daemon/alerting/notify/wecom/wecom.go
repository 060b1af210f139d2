// Package wecom sends alert notifications through a WeCom group robot
// (企业微信群机器人) as markdown.
//
// The contract, from WeCom's group robot documentation
// (https://developer.work.weixin.qq.com/document/path/91770) and its global
// error codes (https://developer.work.weixin.qq.com/document/path/90313):
//
//   - POST JSON to …/cgi-bin/webhook/send?key=<key>; the key is the only
//     credential (there is no signing);
//   - {"msgtype": "markdown", "markdown": {"content": "…"}}, the content at
//     most 4096 bytes of UTF-8;
//   - each robot takes at most 20 messages a minute;
//   - the answer is HTTP 200 with {"errcode": n, "errmsg": "…"}; 0 is
//     success, 45009 is the rate limit, 93000 an invalid webhook key,
//     40058 a field out of its bounds.
package wecom

import (
	"context"
	"net/http"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk"
)

// Documented limits and codes.
const (
	MaxContent    = 4096
	RateLimit     = 20
	CodeTooFast   = 45009
	CodeBadKey    = 93000
	CodeBadLength = 40058
)

// Payload is a markdown message.
type Payload struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

// Notifier posts to one robot.
type Notifier struct {
	URL    string // with ?key=
	Client *http.Client
}

// Limits are the robot's documented 20 messages a minute.
func (n *Notifier) Limits() []notify.Limit { return []notify.Limit{{N: RateLimit, Per: time.Minute}} }

// Notify sends m, its text cut to the documented 4096 bytes.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (notify.Answer, error) {
	var p Payload
	p.MsgType = "markdown"
	p.Markdown.Content = notify.Truncate("## "+m.Title+"\n"+m.Text, MaxContent)
	ans, err := notify.PostJSON(ctx, n.Client, n.URL, p, nil)
	return dingtalk.ReadAnswer(ans, err, map[int]time.Duration{CodeTooFast: time.Minute, -1: 0})
}
