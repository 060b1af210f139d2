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
